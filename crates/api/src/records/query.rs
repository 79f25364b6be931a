//! The read path's queries, parsed at the edge: the raw parameters (which document them in
//! the spec) and what handlers receive instead, typed for one model.

use std::marker::PhantomData;

use deskbridge_model::ModelKind;
use deskbridge_store::records::{FieldFilter, KeysetOrder, ListQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::expandable;
use crate::cursor::{Cursor, bounds};
use crate::error::ApiError;
use crate::params::{self, FromQuery};

/// A model named by a type, so that its query can be parsed before the handler runs (the
/// relations `expand` takes depend on the model).
pub trait Model: Send + 'static {
    /// The model.
    const KIND: ModelKind;
}

/// One marker type per model, for [`ListRequest`] and [`GetQuery`].
pub mod kinds {
    macro_rules! kinds {
        ($($name:ident),*) => {$(
            #[doc = concat!("The `", stringify!($name), "` model.")]
            #[derive(Debug)]
            pub struct $name;

            impl super::Model for $name {
                const KIND: deskbridge_model::ModelKind = deskbridge_model::ModelKind::$name;
            }
        )*};
    }
    kinds!(
        Ticket, Comment, User, Contact, Account, Team, Tag, Role, Attachment, Collection, Project
    );
}

/// Query parameters every list endpoint takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommonListParams {
    /// The pagination cursor value (`next` or `previous` of a page).
    pub cursor: Option<String>,
    /// Number of results to return per page (1–100, default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Only objects created (in Deskbridge) after this date-time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub created_after: Option<String>,
    /// Only objects created before this date-time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub created_before: Option<String>,
    /// Only objects modified (in Deskbridge) after this date-time. With this parameter or
    /// `modified_before`, pages come in `modified_at` order (oldest change first), so a walk
    /// ends with the latest changes; a record modified during the walk comes again, with its
    /// new state, near the end.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub modified_after: Option<String>,
    /// Only objects modified before this date-time (pages in `modified_at` order, as with
    /// `modified_after`).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub modified_before: Option<String>,
    /// The third party's id of the object.
    pub remote_id: Option<String>,
    /// Include the raw third-party data as `remote_data`.
    #[param(value_type = Option<bool>)]
    pub include_remote_data: Option<String>,
    /// Include objects deleted in the third party.
    #[param(value_type = Option<bool>)]
    pub include_deleted_data: Option<String>,
    /// Include shell records (known only as references; other fields are null).
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
    /// Relations to return as nested objects, comma-separated.
    pub expand: Option<String>,
}

/// Query parameters of every retrieve endpoint.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetParams {
    /// Include the raw third-party data as `remote_data`.
    #[param(value_type = Option<bool>)]
    pub include_remote_data: Option<String>,
    /// Return the record even if it is only a shell.
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
    /// Relations to return as nested objects, comma-separated.
    pub expand: Option<String>,
}

/// A list query, parsed for model `M`: the page size, the relations to expand, the cursor,
/// and the store's query with the cursor's bounds (the model's own filters are added with
/// [`ListRequest::with_filters`]).
#[derive(Debug)]
pub struct ListRequest<M> {
    /// Records per page.
    pub limit: i64,
    /// Relations to return as nested objects (each one `M` has).
    pub expand: Vec<String>,
    /// Where the page starts.
    pub cursor: Option<Cursor>,
    /// The store's query (`limit` is one more than the page, to know whether a next exists).
    pub query: ListQuery,
    model: PhantomData<M>,
}

impl<M> ListRequest<M> {
    /// The request with the model's own filters.
    pub fn with_filters(mut self, filters: Vec<FieldFilter>) -> Self {
        self.query.filters = filters;
        self
    }
}

impl<M: Model> FromQuery for ListRequest<M> {
    type Raw = CommonListParams;

    fn parse(p: CommonListParams) -> Result<Self, ApiError> {
        let limit = params::page_size(&p.page_size)?;
        let expand = params::choices("expand", &p.expand, expandable(M::KIND))?;
        let modified_after = params::datetime("modified_after", &p.modified_after)?;
        let modified_before = params::datetime("modified_before", &p.modified_before)?;
        // "What changed since T" pages by modification time: only the `(linked_account_id,
        // modified_at, id)` index serves that filter and an order together, whatever share of
        // the rows matches (docs/BENCHMARKS.md §1). Merge promises no order beyond the cursor.
        let order = if modified_after.is_some() || modified_before.is_some() {
            KeysetOrder::ModifiedAt
        } else {
            KeysetOrder::CreatedAt
        };
        let cursor = Cursor::from_param_in(&p.cursor, order)?;
        let mut query = ListQuery {
            order,
            limit: limit + 1,
            created_after: params::datetime("created_after", &p.created_after)?,
            created_before: params::datetime("created_before", &p.created_before)?,
            modified_after,
            modified_before,
            remote_id: p.remote_id.filter(|r| !r.is_empty()),
            include_deleted: params::boolean("include_deleted_data", &p.include_deleted_data)?,
            include_shell: params::boolean("include_shell_data", &p.include_shell_data)?,
            with_remote_data: params::boolean("include_remote_data", &p.include_remote_data)?,
            ..ListQuery::default()
        };
        (query.after, query.before) = bounds(cursor);
        Ok(ListRequest {
            limit,
            expand,
            cursor,
            query,
            model: PhantomData,
        })
    }
}

/// A retrieve query, parsed for model `M`.
#[derive(Debug)]
pub struct GetQuery<M> {
    /// Relations to return as nested objects (each one `M` has).
    pub expand: Vec<String>,
    /// Include `remote_data`.
    pub with_remote_data: bool,
    /// Answer a shell record too.
    pub include_shell: bool,
    model: PhantomData<M>,
}

impl<M: Model> FromQuery for GetQuery<M> {
    type Raw = GetParams;

    fn parse(p: GetParams) -> Result<Self, ApiError> {
        Ok(GetQuery {
            expand: params::choices("expand", &p.expand, expandable(M::KIND))?,
            with_remote_data: params::boolean("include_remote_data", &p.include_remote_data)?,
            include_shell: params::boolean("include_shell_data", &p.include_shell_data)?,
            model: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(e: ApiError) -> String {
        match e {
            ApiError::BadRequest(d) => d,
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn a_list_query_is_typed_for_its_model_with_the_same_400s() {
        let raw = CommonListParams {
            page_size: Some("7".into()),
            expand: Some("assignees, contact".into()),
            modified_after: Some("2024-01-31".into()),
            include_remote_data: Some("true".into()),
            ..CommonListParams::default()
        };
        let list = ListRequest::<kinds::Ticket>::parse(raw).expect("valid");
        assert_eq!(list.limit, 7);
        assert_eq!(list.query.limit, 8);
        assert_eq!(list.expand, ["assignees", "contact"]);
        assert!(list.query.with_remote_data);
        assert_eq!(list.query.order, KeysetOrder::ModifiedAt);

        // `assignees` is a ticket's relation, not a contact's.
        let raw = CommonListParams {
            expand: Some("assignees".into()),
            ..CommonListParams::default()
        };
        let e = ListRequest::<kinds::Contact>::parse(raw).expect_err("not a contact relation");
        assert_eq!(
            detail(e),
            "Invalid value for `expand`: `assignees`; allowed values are account."
        );
        let raw = CommonListParams {
            page_size: Some("0".into()),
            ..CommonListParams::default()
        };
        let e = ListRequest::<kinds::Ticket>::parse(raw).expect_err("too small");
        assert_eq!(
            detail(e),
            "Invalid value for `page_size`: `0`; it must be a whole number from 1 to 100."
        );
        let raw = GetParams {
            include_shell_data: Some("maybe".into()),
            ..GetParams::default()
        };
        let e = GetQuery::<kinds::Ticket>::parse(raw).expect_err("not a boolean");
        assert_eq!(
            detail(e),
            "Invalid value for `include_shell_data`: `maybe` is not a boolean (use true or false)."
        );
    }
}
