//! The lists' cache: pages of a list that this instance has answered, kept while the database's
//! generation of their resource is unchanged ([`crate::db::repo::generation`]).
//!
//! A page is a function of the rows its resource's generation counts, of the caller's scope and
//! role, of today (for the fields computed from it) and of the query string: that is its key.
//! Each request still asks the database one thing, the generation (one row by its key), before
//! the cache: a page is never older than the last committed change, whichever instance made it,
//! and a write shows in the next read as it would without the cache. A hit saves reading,
//! decoding and serializing the page (on a page of 50 conventions, most of the request's cost:
//! docs/PERFORMANCE.md).
//!
//! Pages are kept within a byte budget (`CNFS_CACHE_LISTES`, MiB; 0 keeps none). A newer
//! generation of a resource drops that resource's pages at once; a full cache drops pages of the
//! current generation as it needs room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;

use super::AppState;
use super::extract::{PageBody, page_body, page_reply};
use crate::auth::Role;
use crate::db::DbConn;
use crate::db::repo::generation::{self, Ressource};
use crate::domain::paging::Page;
use crate::domain::scope::ScopeFilter;
use crate::error::ApiError;

/// The default budget of the lists' cache, in MiB (`CNFS_CACHE_LISTES`).
pub const DEFAULT_BUDGET_MIB: usize = 8;

/// What a page of a list depends on besides its resource's rows.
#[derive(Debug, Clone)]
pub struct PageKey<'a> {
    /// The rows the caller may see.
    pub scope: &'a ScopeFilter,
    /// The caller's role (a list whose items show more to some roles than to others).
    pub role: Role,
    /// Today, when the items show fields computed from it.
    pub today: Option<NaiveDate>,
}

impl PageKey<'_> {
    /// The key of the page that `req` asks for.
    fn of(&self, ressource: Ressource, req: &HttpRequest) -> String {
        format!(
            "{}|{:?}|{:?}|{:?}|{}?{}",
            ressource.as_str(),
            self.role,
            self.scope,
            self.today,
            req.path(),
            req.query_string()
        )
    }
}

/// A kept page.
#[derive(Debug)]
struct Kept {
    ressource: Ressource,
    generation: i64,
    page: PageBody,
}

impl Kept {
    /// Its share of the budget: the body, the key and the cursor, and the bookkeeping.
    fn cost(key: &str, page: &PageBody) -> usize {
        page.json.len() + key.len() + page.next_cursor.as_ref().map_or(0, String::len) + 128
    }
}

#[derive(Debug, Default)]
struct Pages {
    by_key: HashMap<String, Arc<Kept>>,
    bytes: usize,
    /// The newest generation seen of each resource.
    newest: HashMap<Ressource, i64>,
}

/// This instance's pages of lists (see the module's documentation).
#[derive(Debug)]
pub struct CacheListes {
    budget: usize,
    pages: Mutex<Pages>,
}

impl Default for CacheListes {
    fn default() -> Self {
        CacheListes::new(DEFAULT_BUDGET_MIB << 20)
    }
}

impl CacheListes {
    /// A cache holding up to `budget` bytes of pages; 0 holds none.
    pub fn new(budget: usize) -> Self {
        CacheListes {
            budget,
            pages: Mutex::new(Pages::default()),
        }
    }

    /// Whether it keeps anything.
    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The page kept under `key` for this `generation` of `ressource`, if any.
    fn get(&self, key: &str, ressource: Ressource, generation: i64) -> Option<Arc<Kept>> {
        let pages = self.lock();
        pages
            .by_key
            .get(key)
            .filter(|kept| kept.ressource == ressource && kept.generation == generation)
            .cloned()
    }

    /// Keeps `page`, read at `generation` of `ressource`, under `key`, when the budget allows.
    fn put(&self, key: String, ressource: Ressource, generation: i64, page: PageBody) {
        let cost = Kept::cost(&key, &page);
        if cost > self.budget {
            return;
        }
        let mut pages = self.lock();
        let newest = pages.newest.get(&ressource).copied().unwrap_or(i64::MIN);
        if generation < newest {
            // Read before a change that another request has already seen: already stale.
            return;
        }
        if generation > newest {
            pages.newest.insert(ressource, generation);
            let Pages { by_key, bytes, .. } = &mut *pages;
            by_key.retain(|key, kept| {
                let keep = kept.ressource != ressource;
                if !keep {
                    *bytes -= Kept::cost(key, &kept.page);
                }
                keep
            });
        }
        if let Some(old) = pages.by_key.remove(&key) {
            pages.bytes -= Kept::cost(&key, &old.page);
        }
        if pages.bytes + cost > self.budget {
            let needed = pages.bytes + cost - self.budget;
            let mut freed = 0;
            let Pages { by_key, bytes, .. } = &mut *pages;
            by_key.retain(|key, kept| {
                if freed >= needed {
                    return true;
                }
                freed += Kept::cost(key, &kept.page);
                false
            });
            *bytes -= freed;
        }
        pages.bytes += cost;
        pages.by_key.insert(
            key,
            Arc::new(Kept {
                ressource,
                generation,
                page,
            }),
        );
    }
}

/// What the database gave: a kept page, or a page read (with the key and generation to keep it
/// under, when the cache is on).
enum Lu<T> {
    Kept(Arc<Kept>),
    Read(Option<(String, i64)>, Page<T>),
}

/// Answers a page of a list of `ressource`: the kept page when the generation has not moved
/// since it was read, else the page `list` reads, serialized with `body` (given the items and
/// the next cursor) and kept. Everything the page shows must come from `ressource`'s rows (as
/// its generation counts them), `key` and the query string.
pub async fn cached_page<T, D, L, B>(
    req: &HttpRequest,
    state: &AppState,
    ressource: Ressource,
    key: PageKey<'_>,
    list: L,
    body: B,
) -> Result<HttpResponse, ApiError>
where
    T: Send + 'static,
    D: serde::Serialize,
    L: FnOnce(&mut DbConn) -> Result<Page<T>, ApiError> + Send + 'static,
    B: FnOnce(Vec<T>, Option<String>) -> D,
{
    let cache = state.cache_listes.clone();
    let key = cache.enabled().then(|| key.of(ressource, req));
    let read = {
        let cache = cache.clone();
        state
            .read_short(move |conn| {
                let Some(key) = key else {
                    return Ok(Lu::Read(None, list(conn)?));
                };
                // Read before the page: a change committed in between makes the page newer
                // than its generation says, never older.
                let generation = generation::current(conn, ressource)?;
                if let Some(kept) = cache.get(&key, ressource, generation) {
                    return Ok(Lu::Kept(kept));
                }
                Ok(Lu::Read(Some((key, generation)), list(conn)?))
            })
            .await?
    };
    match read {
        Lu::Kept(kept) => Ok(page_reply(
            req,
            kept.page.json.clone(),
            kept.page.next_cursor.as_deref(),
        )),
        Lu::Read(slot, page) => {
            let page = page_body(page, body)?;
            let response = page_reply(req, page.json.clone(), page.next_cursor.as_deref());
            if let Some((key, generation)) = slot {
                cache.put(key, ressource, generation, page);
            }
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> PageBody {
        PageBody {
            json: actix_web::web::Bytes::from(text.to_owned()),
            next_cursor: None,
        }
    }

    fn body(kept: Option<Arc<Kept>>) -> Option<String> {
        kept.map(|kept| String::from_utf8(kept.page.json.to_vec()).unwrap())
    }

    const C: Ressource = Ressource::Conventions;

    #[test]
    fn a_page_is_kept_for_its_generation_only() {
        let cache = CacheListes::new(1 << 20);
        cache.put("a".into(), C, 3, page("[3]"));
        assert_eq!(body(cache.get("a", C, 3)).as_deref(), Some("[3]"));
        assert!(cache.get("a", C, 4).is_none(), "a newer generation");
        assert!(cache.get("a", C, 2).is_none(), "an older generation");
        assert!(cache.get("b", C, 3).is_none(), "another key");
    }

    #[test]
    fn a_newer_generation_drops_the_older_pages_and_a_late_older_one_is_not_kept() {
        let cache = CacheListes::new(1 << 20);
        cache.put("a".into(), C, 3, page("[3]"));
        cache.put("b".into(), C, 4, page("[4]"));
        assert!(cache.get("a", C, 3).is_none(), "dropped by generation 4");
        assert_eq!(cache.lock().by_key.len(), 1);
        cache.put("a".into(), C, 3, page("[3]"));
        assert!(
            cache.get("a", C, 3).is_none(),
            "read before generation 4: not kept"
        );
        let pages = cache.lock();
        assert_eq!(pages.bytes, Kept::cost("b", &page("[4]")));
    }

    #[test]
    fn the_budget_bounds_the_kept_bytes() {
        let one = Kept::cost("k00", &page("[0000000000]"));
        let cache = CacheListes::new(3 * one);
        for n in 0..10 {
            cache.put(format!("k{n:02}"), C, 1, page("[0000000000]"));
            let pages = cache.lock();
            assert!(pages.bytes <= 3 * one, "within the budget after {n}");
            assert_eq!(pages.bytes, pages.by_key.len() * one);
        }
        assert!(cache.get("k09", C, 1).is_some(), "the newest page is kept");
        cache.put("k09".into(), C, 1, page("[0000000000]"));
        let pages = cache.lock();
        assert_eq!(
            pages.bytes,
            pages.by_key.len() * one,
            "a replaced page is counted once"
        );
    }

    #[test]
    fn no_budget_keeps_nothing() {
        let cache = CacheListes::new(0);
        assert!(!cache.enabled());
        cache.put("a".into(), C, 1, page("[]"));
        assert!(cache.get("a", C, 1).is_none());
    }
}
