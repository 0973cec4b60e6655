//! The watches whose members change only with their own customers' rows, asked again
//! together after a write: one statement answers every one of them for the changed
//! customers ([`Asker::members_among`]), one reads which of those customers each had, one
//! counts their members and one records that they were asked. Only a watch that moved
//! costs more: its members written, and its entered customers' rows read for the message.
//! A hundred watches then add a few statements to a change batch, not a few hundred.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use duckdb::params_from_iter;
use duckdb::types::Value as SqlValue;
use kesou_nlq::Query;
use kesou_query::Scope;
use kesou_query::ask::{Among, Asker};

use crate::Result;
use crate::evaluate::{Changed, Moved, Outcome, Read, Run, moves, report, run};
use crate::outbox::Settings;
use crate::spec::FireOn;

/// Customer ids bound per statement.
const IDS_PER_STATEMENT: usize = 2000;

/// Watches last asked at the same generation, asked again for what changed since.
pub(crate) struct Batch<'a, 'w> {
    pub asker: &'a Asker,
    pub reads: &'a [Read<'w>],
    pub seen: &'a Changed,
    pub since: i64,
    pub generation: u64,
}

impl Batch<'_, '_> {
    pub fn evaluate(&self, settings: &Settings, root: &Path) -> Result<Vec<Outcome>> {
        let conn = self.asker.connection();
        // Watch ids are integers the store gave: written into the statements as they are.
        let watch_ids = self
            .reads
            .iter()
            .map(|r| r.watch.id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let changed = &self.seen.ids;
        let mut counts: HashMap<i64, usize> = HashMap::new();
        let mut stmt = conn.prepare(&format!(
            "SELECT watch_id, count(*) FROM watch_members WHERE watch_id IN ({watch_ids}) \
             GROUP BY watch_id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            counts.insert(r.get(0)?, r.get::<_, i64>(1)? as usize);
        }
        // Which of the changed customers each watch had.
        let mut had: HashMap<i64, HashSet<String>> = HashMap::new();
        for chunk in changed.chunks(IDS_PER_STATEMENT) {
            let mut stmt = conn.prepare(&format!(
                "SELECT watch_id, customer_id FROM watch_members WHERE watch_id IN ({watch_ids}) \
                 AND customer_id IN ({})",
                vec!["?"; chunk.len()].join(", ")
            ))?;
            let ids = chunk.iter().map(|id| SqlValue::Text(id.clone()));
            let mut rows = stmt.query(params_from_iter(ids))?;
            while let Some(r) = rows.next()? {
                had.entry(r.get(0)?).or_default().insert(r.get(1)?);
            }
        }
        // Members that no longer exist left, whatever else happened.
        let mut deleted: HashMap<i64, BTreeSet<String>> = HashMap::new();
        if self.seen.maybe_deleted {
            let mut stmt = conn.prepare(&format!(
                "SELECT m.watch_id, m.customer_id FROM watch_members m WHERE m.watch_id IN \
                 ({watch_ids}) AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = \
                 m.customer_id)"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                deleted.entry(r.get(0)?).or_default().insert(r.get(1)?);
            }
        }
        let queries: Vec<(&Query, Option<&Scope>)> = self
            .reads
            .iter()
            .map(|r| (&r.query, r.principal.scope.as_ref()))
            .collect();
        // The changed customers are those stamped after `since`, in this same transaction:
        // read by their generation rather than matched against the list of their ids.
        let found = self
            .asker
            .members_among(&queries, Among::ChangedSince(self.since))?;
        conn.execute(
            &format!(
                "UPDATE watches SET evaluated_gen = ?, last_run = make_timestamp(?) WHERE id IN \
                 ({watch_ids})"
            ),
            duckdb::params![self.generation as i64, crate::outbox::now_us()],
        )?;
        let checked: HashSet<&String> = changed.iter().collect();
        let none = BTreeSet::new();
        let mut out = Vec::with_capacity(self.reads.len());
        for (read, found) in self.reads.iter().zip(found) {
            let id = read.watch.id;
            let gone = deleted.get(&id).unwrap_or(&none);
            let mut before = had.remove(&id).unwrap_or_default();
            before.extend(gone.iter().cloned());
            let (entered, left) = moves(&before, &found, Some(&checked), gone);
            if !left.is_empty() || !entered.is_empty() {
                let mut del = conn.prepare_cached(
                    "DELETE FROM watch_members WHERE watch_id = ? AND customer_id = ?",
                )?;
                for c in &left {
                    del.execute(duckdb::params![id, c])?;
                }
                let mut app = conn.appender("watch_members")?;
                for c in &entered {
                    app.append_row(duckdb::params![id, c])?;
                }
                app.flush()?;
            }
            // The entered customers' rows, for the message (only when it shows them).
            let rows = if entered.is_empty() || read.watch.fire_on == FireOn::Leave {
                Run::empty()
            } else {
                run(self.asker, &read.query, &read.principal, Some(&entered))?
            };
            let moved = Moved {
                full: None,
                since: self.since,
                generation: self.generation,
                checked: changed.len(),
                members: counts.get(&id).copied().unwrap_or(0) + entered.len() - left.len(),
                entered,
                left,
                deleted: gone,
            };
            out.push(report(self.asker, read, moved, &rows, settings, root)?);
        }
        Ok(out)
    }
}
