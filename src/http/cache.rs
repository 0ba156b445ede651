//! The reads' cache: pages of a list and single objects that this instance has answered, kept
//! while the database's generation of their resource is unchanged
//! ([`crate::db::repo::generation`]).
//!
//! Each request still asks the database one thing, the generation (one row by its key), before
//! the cache: what it answers is never older than the last committed change, whichever instance
//! made it, and a write shows in the next read as it would without the cache. A hit saves
//! reading and decoding the rows (and, for a page, serializing them): on a page of 50
//! conventions, most of the request's cost (docs/PERFORMANCE.md).
//!
//! - A page ([`cached_list`]) is a function of the rows its resource's generation counts, of the
//!   caller's scope and role, of today (for the fields computed from it) and of the query
//!   string: that is its key. It is kept serialized.
//! - An object ([`cached_object`]) is kept by its id as the domain value the repo read; access to
//!   it is decided at every request, as for a read from the database.
//!
//! Both are bounded (`CNFS_CACHE_LECTURES`, MiB; 0 keeps none) and kept for one generation of
//! their resource: a read at another generation drops them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;

use super::AppState;
use super::extract::{PageBody, page_body, page_reply};
use crate::api::paging::Paging;
use crate::auth::Role;
use crate::db::DbConn;
use crate::db::repo::generation::{self, CountedResource};
use crate::domain::paging::{Page, Position};
use crate::domain::scope::ScopeFilter;
use crate::error::ApiError;

/// The default budget of the reads' cache, in MiB (`CNFS_CACHE_LECTURES`): half for pages, half
/// for objects.
pub const DEFAULT_BUDGET_MIB: usize = 8;

/// The room an object is counted for in the budget (a convention is about 1 KB in memory).
pub const OBJECT_COST: usize = 2048;

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
    fn of(&self, ressource: CountedResource, req: &HttpRequest) -> String {
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

/// Entries read at one generation of a resource: all dropped when one read at another comes.
#[derive(Debug)]
struct Generation<V> {
    value: Option<i64>,
    entries: HashMap<String, Arc<V>>,
}

impl<V> Default for Generation<V> {
    fn default() -> Self {
        Generation {
            value: None,
            entries: HashMap::new(),
        }
    }
}

impl<V> Generation<V> {
    /// The entry kept under `key` for `generation`, if any.
    fn get(&self, key: &str, generation: i64) -> Option<Arc<V>> {
        if self.value != Some(generation) {
            return None;
        }
        self.entries.get(key).cloned()
    }

    /// Makes `generation` the kept one; returns the entries of another that it drops. Usually
    /// a newer one (a change). An older one is either a read that raced a change, whose entry
    /// the next read replaces, or a counter moved back (a restored backup): dropping the entries
    /// of the higher value then keeps the counter from reaching it again while they are here.
    fn turn_to(&mut self, generation: i64) -> HashMap<String, Arc<V>> {
        if self.value == Some(generation) {
            return HashMap::new();
        }
        self.value = Some(generation);
        std::mem::take(&mut self.entries)
    }
}

/// A page's share of the budget: the body, the key and the cursor, and the bookkeeping.
fn page_cost(key: &str, page: &PageBody) -> usize {
    page.json.len() + key.len() + page.next_cursor.as_ref().map_or(0, String::len) + 128
}

#[derive(Debug, Default)]
struct Pages {
    by_ressource: HashMap<CountedResource, Generation<PageBody>>,
    bytes: usize,
}

/// This instance's pages of lists (see the module's documentation), within one byte budget.
#[derive(Debug)]
pub struct CacheListes {
    budget: usize,
    pages: Mutex<Pages>,
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
    fn get(&self, key: &str, ressource: CountedResource, generation: i64) -> Option<Arc<PageBody>> {
        let pages = self.lock();
        pages.by_ressource.get(&ressource)?.get(key, generation)
    }

    /// Keeps `page`, read at `generation` of `ressource`, under `key`, when the budget allows
    /// (dropping other pages of the resource as it needs room).
    fn put(&self, key: String, ressource: CountedResource, generation: i64, page: PageBody) {
        let cost = page_cost(&key, &page);
        if cost > self.budget {
            return;
        }
        let mut pages = self.lock();
        let Pages {
            by_ressource,
            bytes,
        } = &mut *pages;
        let kept = by_ressource.entry(ressource).or_default();
        let mut dropped = kept.turn_to(generation);
        dropped.extend(kept.entries.remove_entry(&key));
        *bytes -= dropped.iter().map(|(k, p)| page_cost(k, p)).sum::<usize>();
        if *bytes + cost > self.budget {
            let needed = *bytes + cost - self.budget;
            let mut freed = 0;
            kept.entries.retain(|key, page| {
                if freed >= needed {
                    return true;
                }
                freed += page_cost(key, page);
                false
            });
            *bytes -= freed;
            if *bytes + cost > self.budget {
                return; // the rest of the budget holds other resources' pages
            }
        }
        *bytes += cost;
        kept.entries.insert(key, Arc::new(page));
    }
}

/// Objects of one resource kept by id (see the module's documentation), up to a number of them.
#[derive(Debug)]
pub struct CacheObjets<T> {
    capacity: usize,
    objects: Mutex<Generation<T>>,
}

impl<T> CacheObjets<T> {
    /// A cache of up to `budget` bytes of objects ([`OBJECT_COST`] each); 0 keeps none.
    pub fn new(budget: usize) -> Self {
        CacheObjets {
            capacity: budget / OBJECT_COST,
            objects: Mutex::new(Generation::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generation<T>> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The object kept under `id` for this `generation`, if any.
    fn get(&self, id: &str, generation: i64) -> Option<Arc<T>> {
        self.lock().get(id, generation)
    }

    /// Keeps `object`, read at `generation`, under `id`; a full cache starts again empty.
    fn put(&self, id: String, generation: i64, object: Arc<T>) {
        if self.capacity == 0 {
            return;
        }
        let mut objects = self.lock();
        objects.turn_to(generation);
        if objects.entries.len() >= self.capacity {
            objects.entries.clear();
        }
        objects.entries.insert(id, object);
    }
}

/// Reads one object of `ressource` by `id`: the kept one when the generation has not moved since
/// it was read, else what `read` finds (then kept). `None` when there is none (not kept).
pub async fn cached_object<T, L>(
    state: &AppState,
    cache: &Arc<CacheObjets<T>>,
    ressource: CountedResource,
    id: String,
    read: L,
) -> Result<Option<Arc<T>>, ApiError>
where
    T: Send + Sync + 'static,
    L: FnOnce(&mut DbConn) -> Result<Option<T>, ApiError> + Send + 'static,
{
    let cache = cache.clone();
    state
        .read_short(move |conn| {
            if cache.capacity == 0 {
                return Ok(read(conn)?.map(Arc::new));
            }
            // Read before the object, as for pages.
            let generation = generation::current(conn, ressource)?;
            if let Some(kept) = cache.get(&id, generation) {
                return Ok(Some(kept));
            }
            let found = read(conn)?.map(Arc::new);
            if let Some(object) = &found {
                cache.put(id, generation, object.clone());
            }
            Ok(found)
        })
        .await
}

/// What the database gave: a kept page, or a page read (with the key and generation to keep it
/// under, when the cache is on).
enum Lu<T> {
    Kept(Arc<PageBody>),
    Read(Option<(String, i64)>, Page<T>),
}

/// Answers a page of a list of `ressource` (`list_operation!` with `cached`): the kept page when
/// the generation has not moved since it was read, else the page `list` reads (the rows after
/// the cursor's position, as many as `paging` asks for), serialized with `body` (given the items
/// and the next cursor) and kept. Everything the page shows must come from `ressource`'s rows (as
/// its generation counts them), `key` and the query string.
pub async fn cached_list<T, E, D, L, B>(
    req: &HttpRequest,
    state: &AppState,
    paging: &Paging,
    ressource: CountedResource,
    key: PageKey<'_>,
    list: L,
    body: B,
) -> Result<HttpResponse, ApiError>
where
    T: Send + 'static,
    ApiError: From<E>,
    D: serde::Serialize,
    L: FnOnce(&mut DbConn, Option<&Position>, usize) -> Result<Page<T>, E> + Send + 'static,
    B: FnOnce(Vec<T>, Option<String>) -> D,
{
    let (after, limit) = (paging.after(), paging.limit());
    let list = move |conn: &mut DbConn| Ok::<_, ApiError>(list(conn, after.as_ref(), limit)?);
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
            kept.json.clone(),
            kept.next_cursor.as_deref(),
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

    fn body(kept: Option<Arc<PageBody>>) -> Option<String> {
        kept.map(|kept| String::from_utf8(kept.json.to_vec()).unwrap())
    }

    const C: CountedResource = CountedResource::Conventions;

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
    fn pages_are_kept_for_the_last_generation_read_only() {
        let cache = CacheListes::new(1 << 20);
        cache.put("a".into(), C, 3, page("[3]"));
        cache.put("b".into(), C, 4, page("[4]"));
        assert!(cache.get("a", C, 3).is_none(), "dropped by generation 4");
        assert_eq!(cache.lock().by_ressource[&C].entries.len(), 1);
        // A counter moved back (a restored backup), then forward again to 4: the page of the
        // first generation 4 must not come back.
        cache.put("a".into(), C, 2, page("[2]"));
        assert!(cache.get("b", C, 4).is_none(), "dropped by generation 2");
        assert_eq!(body(cache.get("a", C, 2)).as_deref(), Some("[2]"));
        let pages = cache.lock();
        assert_eq!(pages.bytes, page_cost("a", &page("[2]")));
    }

    #[test]
    fn the_budget_bounds_the_kept_bytes() {
        let one = page_cost("k00", &page("[0000000000]"));
        let cache = CacheListes::new(3 * one);
        for n in 0..10 {
            cache.put(format!("k{n:02}"), C, 1, page("[0000000000]"));
            let pages = cache.lock();
            assert!(pages.bytes <= 3 * one, "within the budget after {n}");
            assert_eq!(pages.bytes, pages.by_ressource[&C].entries.len() * one);
        }
        assert!(cache.get("k09", C, 1).is_some(), "the newest page is kept");
        cache.put("k09".into(), C, 1, page("[0000000000]"));
        let pages = cache.lock();
        assert_eq!(
            pages.bytes,
            pages.by_ressource[&C].entries.len() * one,
            "a replaced page is counted once"
        );
    }

    #[test]
    fn objects_are_kept_for_one_generation_within_their_capacity() {
        let cache = CacheObjets::<i64>::new(2 * OBJECT_COST);
        cache.put("a".into(), 1, Arc::new(10));
        assert_eq!(cache.get("a", 1).as_deref(), Some(&10));
        assert!(cache.get("a", 2).is_none(), "another generation");
        cache.put("b".into(), 2, Arc::new(20));
        assert!(cache.get("a", 1).is_none(), "dropped by generation 2");
        cache.put("c".into(), 2, Arc::new(30));
        assert_eq!(cache.lock().entries.len(), 2);
        cache.put("d".into(), 2, Arc::new(40));
        assert_eq!(cache.lock().entries.len(), 1, "full: started again");
        assert_eq!(cache.get("d", 2).as_deref(), Some(&40));
        let none = CacheObjets::<i64>::new(0);
        none.put("a".into(), 1, Arc::new(1));
        assert!(none.get("a", 1).is_none());
    }

    #[test]
    fn no_budget_keeps_nothing() {
        let cache = CacheListes::new(0);
        assert!(!cache.enabled());
        cache.put("a".into(), C, 1, page("[]"));
        assert!(cache.get("a", C, 1).is_none());
    }
}
