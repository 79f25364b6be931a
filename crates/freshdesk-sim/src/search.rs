//! The filter language of `GET /search/tickets?query="…"`: `field:value`, `field:>value`,
//! `field:<value` (inclusive), joined by `AND`/`OR` with parentheses; strings in single quotes.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::errors::FieldError;
use crate::model::Ticket;
use crate::store::AccountData;

/// Freshdesk's message for a query it cannot parse.
pub const FORMAT_INVALID: &str = "Given query is invalid, expected format \"keyword:value  OPERATOR keyword:'string' OPERATOR keyword:>'yyyy-mm-dd' OPERATOR keyword:<integer\". Space is mandatory between key/value pair and operator. Please check the paranthesis if there are any.";

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Term(String, Op, Val),
}

/// Comparison of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `:`
    Eq,
    /// `:>` (inclusive)
    Gte,
    /// `:<` (inclusive)
    Lte,
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// `'text'`.
    Str(String),
    /// An integer.
    Int(i64),
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// One comparison.
    Term(String, Op, Val),
}

fn bad() -> FieldError {
    FieldError::new("query", FORMAT_INVALID, "invalid_value")
}

fn tokenize(s: &str) -> Result<Vec<Tok>, FieldError> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if c == ')' {
            out.push(Tok::Close);
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.is_empty() {
                return Err(bad());
            }
            if i >= chars.len() || chars[i] != ':' {
                match word.as_str() {
                    "AND" => out.push(Tok::And),
                    "OR" => out.push(Tok::Or),
                    _ => return Err(bad()),
                }
                continue;
            }
            i += 1;
            let op = match chars.get(i) {
                Some('>') => Op::Gte,
                Some('<') => Op::Lte,
                _ => Op::Eq,
            };
            if op != Op::Eq {
                i += 1;
            }
            let val = if chars.get(i) == Some(&'\'') {
                let vs = i + 1;
                let end = (vs..chars.len())
                    .find(|&k| chars[k] == '\'')
                    .ok_or_else(bad)?;
                i = end + 1;
                Val::Str(chars[vs..end].iter().collect())
            } else {
                let vs = i;
                while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ')' {
                    i += 1;
                }
                let raw: String = chars[vs..i].iter().collect();
                match raw.as_str() {
                    "null" => Val::Null,
                    "true" => Val::Bool(true),
                    "false" => Val::Bool(false),
                    r => Val::Int(r.parse().map_err(|_| bad())?),
                }
            };
            if i < chars.len() && !chars[i].is_whitespace() && chars[i] != ')' {
                return Err(bad());
            }
            out.push(Tok::Term(word, op, val));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn or(&mut self) -> Result<Expr, FieldError> {
        let mut left = self.and()?;
        while self.toks.get(self.pos) == Some(&Tok::Or) {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FieldError> {
        let mut left = self.primary()?;
        while self.toks.get(self.pos) == Some(&Tok::And) {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, FieldError> {
        let tok = self.toks.get(self.pos).cloned().ok_or_else(bad)?;
        self.pos += 1;
        match tok {
            Tok::Open => {
                let e = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err(bad());
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::Term(f, o, v) => Ok(Expr::Term(f, o, v)),
            _ => Err(bad()),
        }
    }
}

/// Parses the value of `query` (with its double quotes) and checks the field names.
pub fn parse(query: &str, d: &AccountData) -> Result<Expr, FieldError> {
    let q = query.trim();
    if q.len() < 2 || !q.starts_with('"') || !q.ends_with('"') {
        return Err(bad());
    }
    let inner = &q[1..q.len() - 1];
    let n = inner.chars().count();
    if n > 512 {
        return Err(FieldError::new(
            "query",
            format!("Has {n} characters, it can have maximum of 512 characters"),
            "invalid_value",
        ));
    }
    let mut p = Parser {
        toks: tokenize(inner)?,
        pos: 0,
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(bad());
    }
    check_fields(&e, d)?;
    Ok(e)
}

const INT_FIELDS: &[&str] = &["priority", "status", "group_id", "agent_id"];
const DATE_FIELDS: &[&str] = &[
    "created_at",
    "updated_at",
    "due_by",
    "fr_due_by",
    "nr_due_by",
];

fn custom_index(d: &AccountData, f: &str) -> Option<usize> {
    d.custom_defs
        .iter()
        .position(|(n, _)| *n == f || n.strip_prefix("cf_") == Some(f))
}

fn check_fields(e: &Expr, d: &AccountData) -> Result<(), FieldError> {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            check_fields(a, d)?;
            check_fields(b, d)
        }
        Expr::Term(f, _, v) => {
            let known = INT_FIELDS.contains(&f.as_str())
                || DATE_FIELDS.contains(&f.as_str())
                || f == "type"
                || f == "tag"
                || custom_index(d, f).is_some();
            if !known {
                return Err(FieldError::unexpected(f));
            }
            if DATE_FIELDS.contains(&f.as_str())
                && !matches!(v, Val::Str(s) if day(s).is_some())
                && *v != Val::Null
            {
                return Err(bad());
            }
            Ok(())
        }
    }
}

fn day(s: &str) -> Option<(i64, i64)> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let start = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?).timestamp();
    Some((start, start + 86_399))
}

fn cmp_int(x: Option<i64>, op: Op, v: &Val) -> bool {
    match (v, x) {
        (Val::Null, x) => x.is_none(),
        (Val::Int(v), Some(x)) => match op {
            Op::Eq => x == *v,
            Op::Gte => x >= *v,
            Op::Lte => x <= *v,
        },
        _ => false,
    }
}

/// Whether a ticket matches.
pub fn matches(e: &Expr, t: &Ticket, d: &AccountData) -> bool {
    match e {
        Expr::And(a, b) => matches(a, t, d) && matches(b, t, d),
        Expr::Or(a, b) => matches(a, t, d) || matches(b, t, d),
        Expr::Term(f, op, v) => match f.as_str() {
            "priority" => cmp_int(Some(t.priority), *op, v),
            "status" => cmp_int(Some(t.status), *op, v),
            "group_id" => cmp_int(t.group_id, *op, v),
            "agent_id" => cmp_int(t.responder_id, *op, v),
            "type" => match v {
                Val::Null => t.ticket_type.is_none(),
                Val::Str(s) => t
                    .ticket_type
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(s)),
                _ => false,
            },
            "tag" => matches!(v, Val::Str(s) if t.tags.iter().any(|x| x.eq_ignore_ascii_case(s))),
            f if DATE_FIELDS.contains(&f) => {
                let x = match f {
                    "created_at" => Some(t.created_at),
                    "updated_at" => Some(t.updated_at),
                    "due_by" => t.due_by,
                    "fr_due_by" => t.fr_due_by,
                    _ => t.nr_due_by,
                };
                match (v, x) {
                    (Val::Null, x) => x.is_none(),
                    (Val::Str(s), Some(x)) => day(s).is_some_and(|(lo, hi)| match op {
                        Op::Eq => x >= lo && x <= hi,
                        Op::Gte => x >= lo,
                        Op::Lte => x <= hi,
                    }),
                    _ => false,
                }
            }
            f => {
                let Some(i) = custom_index(d, f) else {
                    return false;
                };
                let x = t.custom.get(i).cloned().unwrap_or_default();
                match v {
                    Val::Null => x.is_null(),
                    Val::Str(s) => x.as_str().is_some_and(|y| y.eq_ignore_ascii_case(s)),
                    Val::Bool(b) => x.as_bool() == Some(*b),
                    Val::Int(n) => x.as_i64() == Some(*n),
                }
            }
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn term(f: &str, o: Op, v: Val) -> Expr {
        Expr::Term(f.into(), o, v)
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let toks = tokenize("priority:1 OR status:2 AND type:'Feature Request'").unwrap();
        let e = Parser { toks, pos: 0 }.or().unwrap();
        assert_eq!(
            e,
            Expr::Or(
                Box::new(term("priority", Op::Eq, Val::Int(1))),
                Box::new(Expr::And(
                    Box::new(term("status", Op::Eq, Val::Int(2))),
                    Box::new(term("type", Op::Eq, Val::Str("Feature Request".into())))
                ))
            )
        );
        assert!(tokenize("priority:>3 AND agent_id:null").is_ok());
        assert!(tokenize("priority:3AND status:2").is_err());
        assert!(tokenize("tag:'unterminated").is_err());
    }
}
