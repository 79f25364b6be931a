//! Deterministic data generation: the same seed and counts give the same accounts.

mod conversations;
mod fields;
mod people;
mod pools;
mod tickets;
pub mod words;

pub use fields::{PRIORITIES, SOURCES, STATUSES};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::SimConfig;
use crate::model::Profile;
use crate::store::{AccountData, IdKind};

/// Seconds per day.
pub const DAY: i64 = 86_400;

/// A generated account.
pub struct Generated {
    /// Subdomain (`sim1`, …).
    pub subdomain: String,
    /// API key (20 alphanumerics).
    pub api_key: String,
    /// Data.
    pub data: AccountData,
}

/// Seeds the RNG of one account and one purpose.
pub fn rng_for(seed: u64, account: usize, stream: u64) -> StdRng {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    x = x.wrapping_add((account as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x = x.wrapping_add(stream.wrapping_mul(0x94D0_49BB_1331_11EB));
    x ^= x >> 31;
    StdRng::seed_from_u64(x)
}

/// A random API key like Freshdesk's (20 alphanumerics).
pub fn api_key(rng: &mut StdRng) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..20)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

/// Picks one element.
pub fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// Generates account `index` with `now` as the present.
pub fn generate_account(cfg: &SimConfig, index: usize, now: i64) -> Generated {
    let subdomain = format!("sim{}", index + 1);
    let mut key_rng = rng_for(cfg.seed, index, 1);
    let api_key = api_key(&mut key_rng);
    let mut rng = rng_for(cfg.seed, index, 2);
    let born = now - 420 * DAY - rng.gen_range(0..30 * DAY);

    let mut data = AccountData::new(
        index,
        Profile::for_index(index, 0),
        rng_for(cfg.seed, index, 3),
    );
    let form_id = rng.gen_range(200..900);
    data.profile = Profile::for_index(index, form_id);
    for (name, local) in [("support", "support"), ("billing", "billing")] {
        let id = data.next_id(IdKind::EmailConfig);
        let _ = name;
        data.email_configs
            .push((id, format!("{local}@{subdomain}.freshdesk.com")));
    }
    for name in ["Deskbridge Cloud", "Deskbridge On-Prem"] {
        let id = data.next_id(IdKind::Product);
        data.products.push((id, name));
    }
    fields::build(&mut data, born, born + 27 * DAY);
    people::roles(&mut data, born);
    people::agents(
        &mut data,
        &mut rng,
        cfg.agents.max(1),
        born,
        now,
        &subdomain,
    );
    people::groups(&mut data, &mut rng, cfg.groups, born, now);
    people::companies(&mut data, &mut rng, cfg.companies, born, now);
    let contacts = people::contacts(&mut data, &mut rng, cfg.contact_count().max(2), born, now);
    tickets::tickets(&mut data, &mut rng, cfg, &contacts, born, now);
    data.observe_time(now);
    Generated {
        subdomain,
        api_key,
        data,
    }
}
