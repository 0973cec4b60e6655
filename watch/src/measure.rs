//! Measure watches: one figure (a summary question such as 「本周销售额」 or 「华东客户的平均年采购额」)
//! asked on a schedule, firing when a condition holds: below or above a value, or a drop or
//! rise of more than a percentage against the figure of the last run (「本周销售额比上周下降
//! 超过20%」 is 「本周销售额」, weekly, `--drop 20`). A figure is not a set of customers, so it
//! cannot be followed from the changed rows: it is asked whole at each run.

use std::time::Duration;

use duckdb::params;
use kesou_access::Principal;
use kesou_indexer::Store;
use kesou_query::ask::{AnswerKind, AskOptions, Asker};
use serde::{Deserialize, Serialize};

use crate::evaluate::{Outcome, in_transaction, query_of, record_firing};
use crate::message::{MeasureNote, Message, number};
use crate::outbox::{self, Settings, now_us};
use crate::spec::{self, Watch};
use crate::{Error, Result};

/// How often a measure watch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    Hourly,
    Daily,
    Weekly,
}

impl Every {
    pub fn name(self) -> &'static str {
        match self {
            Every::Hourly => "hourly",
            Every::Daily => "daily",
            Every::Weekly => "weekly",
        }
    }

    pub fn period(self) -> Duration {
        Duration::from_secs(match self {
            Every::Hourly => 3600,
            Every::Daily => 24 * 3600,
            Every::Weekly => 7 * 24 * 3600,
        })
    }
}

impl std::str::FromStr for Every {
    type Err = Error;
    fn from_str(s: &str) -> Result<Every> {
        match s.trim() {
            "hourly" | "每小时" => Ok(Every::Hourly),
            "daily" | "每天" | "每日" => Ok(Every::Daily),
            "weekly" | "每周" => Ok(Every::Weekly),
            other => Err(Error::BadInput(format!(
                "every {other:?}: write hourly (每小时), daily (每天) or weekly (每周)"
            ))),
        }
    }
}

/// When a measure watch fires.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "lowercase")]
pub enum Condition {
    /// The figure is below `value`.
    Below { value: f64 },
    /// The figure is above `value`.
    Above { value: f64 },
    /// The figure fell by more than `pct` percent since the last run.
    Drop { pct: f64 },
    /// The figure rose by more than `pct` percent since the last run.
    Rise { pct: f64 },
}

impl Condition {
    /// For people: 下降超过20%.
    pub fn describe(&self) -> String {
        match self {
            Condition::Below { value } => format!("低于 {}", number(*value)),
            Condition::Above { value } => format!("高于 {}", number(*value)),
            Condition::Drop { pct } => format!("比上次下降超过{}%", number(*pct)),
            Condition::Rise { pct } => format!("比上次上升超过{}%", number(*pct)),
        }
    }

    /// Whether it holds for `value` after `previous` (a change needs a previous figure
    /// other than 0).
    pub fn holds(&self, value: f64, previous: Option<f64>) -> bool {
        let change = previous
            .filter(|p| *p != 0.0)
            .map(|p| (value - p) / p.abs() * 100.0);
        match *self {
            Condition::Below { value: v } => value < v,
            Condition::Above { value: v } => value > v,
            Condition::Drop { pct } => change.is_some_and(|c| -c > pct),
            Condition::Rise { pct } => change.is_some_and(|c| c > pct),
        }
    }
}

/// The watch's figure now: its label and value.
fn figure(asker: &Asker, watch: &Watch, principal: &Principal) -> Result<(String, f64, String)> {
    let query = query_of(asker, watch)?;
    principal
        .check_query(&query, None)
        .map_err(|e| Error::Forbidden(e.to_string()))?;
    let options = AskOptions {
        scope: principal.scope.clone(),
        ..AskOptions::default()
    };
    let answer = asker.run(&query, &options)?;
    if answer.table.kind != AnswerKind::Summary {
        return Err(Error::BadInput(
            "a measure watch follows one figure; this question gives one per group or a series: \
             ask for the total (「本周销售额」, 「华东客户的平均年采购额」)"
                .into(),
        ));
    }
    let row = answer.table.rows.first();
    let found = answer
        .table
        .columns
        .iter()
        .zip(row.into_iter().flatten())
        .find_map(|(c, v)| v.as_f64().map(|n| (c.label.clone(), n)));
    let Some((label, value)) = found else {
        return Err(Error::BadInput(
            "the question's answer has no figure to follow".into(),
        ));
    };
    Ok((label, value, answer.explain))
}

/// A new measure watch's first figure: recorded, never fired on.
pub(crate) fn first_run(
    _store: &Store,
    asker: &Asker,
    watch: &Watch,
    principal: &Principal,
) -> Result<()> {
    let (_, value, _) = figure(asker, watch, principal)?;
    asker.connection().execute(
        "UPDATE watches SET last_value = ?, last_run = make_timestamp(?) WHERE id = ?",
        params![value, now_us(), watch.id],
    )?;
    Ok(())
}

/// Runs the measure watches that are due (each once per its period; all of them with
/// `force`), queueing the deliveries of those whose condition holds.
pub fn run_scheduled(store: &Store, settings: &Settings, force: bool) -> Result<Vec<Outcome>> {
    let reader = store.reader()?;
    let conn = reader.conn;
    let now = now_us();
    let mut due = Vec::new();
    for w in spec::all(&conn)?.into_iter().filter(Watch::is_measure) {
        let last: Option<i64> = conn.query_row(
            "SELECT epoch_us(last_run) FROM watches WHERE id = ?",
            params![w.id],
            |r| r.get(0),
        )?;
        let period = w.every.map_or(Duration::MAX, Every::period).as_micros() as i64;
        if force || last.is_none_or(|l| now - l >= period) {
            due.push(w);
        }
    }
    if due.is_empty() {
        return crate::report::run_due(store, settings, force);
    }
    let asker = Asker::on_store(store)?;
    let root = store.paths().root.clone();
    let mut out = Vec::new();
    for watch in due {
        let principal = match spec::owner_principal(&root, &watch.owner) {
            Ok(p) => p,
            Err(e) if e.is_user_error() => continue,
            Err(e) => return Err(e),
        };
        let (label, value, explain) = match figure(&asker, &watch, &principal) {
            Ok(f) => f,
            Err(e) if e.is_user_error() => {
                tracing::warn!(watch = watch.id, error = %e, "measure watch not run");
                continue;
            }
            Err(e) => return Err(e),
        };
        let conn = asker.connection();
        let condition = watch.condition.expect("a measure watch has a condition");
        let fires = condition.holds(value, watch.last_value);
        let outcome = in_transaction(conn, || {
            let generation = kesou_indexer::store::generation(conn)?;
            conn.execute(
                "UPDATE watches SET last_value = ?, last_run = make_timestamp(?) WHERE id = ?",
                params![value, now, watch.id],
            )?;
            let mut outcome = Outcome {
                watch: watch.id,
                name: watch.name.clone(),
                full_run: Some("a figure is asked whole".into()),
                checked: 0,
                entered: Vec::new(),
                left: Vec::new(),
                members: 0,
                firing: None,
                queued: 0,
                skipped: None,
            };
            if fires {
                let msg = measure_message(
                    &watch,
                    explain.clone(),
                    generation,
                    &label,
                    value,
                    &condition,
                    settings,
                );
                let firing = record_firing(conn, watch.id, generation, &msg, true)?;
                // One event per period: a run repeated within it queues nothing new.
                let slot = now / watch.every.map_or(1, |e| e.period().as_micros() as i64);
                let event = format!("w{}:m{slot}", watch.id);
                outcome.queued =
                    outbox::queue_all(conn, &root, firing, &event, &watch, &msg, settings)?;
                outcome.firing = Some(firing);
            }
            Ok(outcome)
        })?;
        out.push(outcome);
    }
    out.extend(crate::report::run_due(store, settings, force)?);
    Ok(out)
}

fn measure_message(
    watch: &Watch,
    explain: String,
    generation: u64,
    label: &str,
    value: f64,
    condition: &Condition,
    settings: &Settings,
) -> Message {
    Message {
        measure: Some(MeasureNote {
            label: label.to_owned(),
            value,
            previous: watch.last_value,
            condition: condition.describe(),
        }),
        ..Message::for_list(watch, explain, generation, Vec::new(), Vec::new(), settings)
    }
}

/// What a measure watch would say now (`kesou watch test`), recording nothing.
pub(crate) fn test(
    asker: &Asker,
    watch: &Watch,
    principal: &Principal,
    settings: &Settings,
) -> Result<(Outcome, Message)> {
    let (label, value, explain) = figure(asker, watch, principal)?;
    let condition = watch.condition.expect("a measure watch has a condition");
    let generation = kesou_indexer::store::generation(asker.connection())?;
    let msg = measure_message(
        watch, explain, generation, &label, value, &condition, settings,
    );
    let fires = condition.holds(value, watch.last_value);
    Ok((
        Outcome {
            watch: watch.id,
            name: watch.name.clone(),
            full_run: Some("a figure is asked whole".into()),
            checked: 0,
            entered: Vec::new(),
            left: Vec::new(),
            members: 0,
            firing: None,
            queued: 0,
            skipped: (!fires).then(|| format!("条件未满足: {}", condition.describe())),
        },
        msg,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_strict_like_the_glossary() {
        let drop = Condition::Drop { pct: 20.0 };
        assert!(drop.holds(79.0, Some(100.0)));
        assert!(!drop.holds(80.0, Some(100.0)), "超过 is strict");
        assert!(!drop.holds(50.0, None), "no previous figure, no change");
        assert!(!drop.holds(50.0, Some(0.0)));
        let rise = Condition::Rise { pct: 10.0 };
        assert!(rise.holds(111.0, Some(100.0)));
        assert!(!rise.holds(90.0, Some(100.0)));
        assert!(Condition::Below { value: 5.0 }.holds(4.9, None));
        assert!(!Condition::Above { value: 5.0 }.holds(5.0, None));
        assert_eq!(drop.describe(), "比上次下降超过20%");
    }
}
