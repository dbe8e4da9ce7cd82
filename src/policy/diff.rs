//! What changes between two policies, rule by rule (`tlsaudit policy diff A B`): rules are
//! matched by id and compared key by key on the TOML each policy was read from, so the diff
//! shows exactly what the files say (a suite list's added and removed entries, a severity or a
//! bound that moved) and nothing the loader inferred. Pure: no files, no network.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::{Policy, PolicyError};

/// The difference between two policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    pub from: String,
    pub to: String,
    /// Changed keys of the `[policy]` table (source, version, title …).
    pub meta: Vec<KeyChange>,
    /// Rules in the order of `to`, then the rules only `from` has.
    pub rules: Vec<RuleDiff>,
    /// How many rules are the same in both.
    pub unchanged: usize,
}

/// One rule's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum RuleDiff {
    /// Only `to` has the rule.
    Added {
        id: String,
        kind: String,
        severity: String,
        title: String,
    },
    /// Only `from` has the rule.
    Removed {
        id: String,
        kind: String,
        severity: String,
        title: String,
    },
    /// Both have it, with these keys changed.
    Changed { id: String, keys: Vec<KeyChange> },
}

/// One key that differs. Lists of strings say which entries came and went; other values give
/// the value before and after (`None`: the key is absent on that side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// A list with the same entries in another order (order is preference for suites).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reordered: bool,
}

type Table = toml::Table;

fn table(p: &Policy) -> Result<Table, PolicyError> {
    p.text
        .parse::<Table>()
        .map_err(|e| PolicyError(format!("policy {}: {e}", p.name)))
}

fn rules(t: &Table) -> Vec<(String, Table)> {
    t.get("rule")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_table())
        .map(|r| {
            let id = r
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            (id, r.clone())
        })
        .collect()
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn strings(v: &toml::Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The keys whose values differ between two tables, in sorted key order.
fn key_changes(a: &Table, b: &Table, skip: &[&str]) -> Vec<KeyChange> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let (va, vb) = (a.get(k), b.get(k));
        if va == vb {
            continue;
        }
        let mut c = KeyChange {
            key: k.clone(),
            before: None,
            after: None,
            added: vec![],
            removed: vec![],
            reordered: false,
        };
        match (va.and_then(strings), vb.and_then(strings)) {
            (Some(la), Some(lb)) => {
                // Names compare without case: `x25519` and `X25519` are one group.
                let has = |l: &[String], x: &str| l.iter().any(|y| y.eq_ignore_ascii_case(x));
                c.added = lb.iter().filter(|x| !has(&la, x)).cloned().collect();
                c.removed = la.iter().filter(|x| !has(&lb, x)).cloned().collect();
                if c.added.is_empty() && c.removed.is_empty() {
                    let same_order = la.iter().zip(&lb).all(|(x, y)| x.eq_ignore_ascii_case(y));
                    if same_order {
                        continue;
                    }
                    c.reordered = true;
                }
            }
            _ => {
                c.before = va.map(show);
                c.after = vb.map(show);
            }
        }
        out.push(c);
    }
    out
}

fn field(t: &Table, k: &str) -> String {
    t.get(k).map(show).unwrap_or_default()
}

impl PolicyDiff {
    /// Compares `from` with `to`.
    pub fn new(from: &Policy, to: &Policy) -> Result<PolicyDiff, PolicyError> {
        let (ta, tb) = (table(from)?, table(to)?);
        let empty = Table::new();
        let meta_of = |t: &Table| {
            t.get("policy")
                .and_then(|m| m.as_table())
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let meta = key_changes(&meta_of(&ta), &meta_of(&tb), &["name"]);
        let (ra, rb) = (rules(&ta), rules(&tb));
        let mut out = Vec::new();
        let mut unchanged = 0;
        for (id, b) in &rb {
            match ra.iter().find(|(i, _)| i == id) {
                None => out.push(RuleDiff::Added {
                    id: id.clone(),
                    kind: field(b, "kind"),
                    severity: field(b, "severity"),
                    title: rule_title(to, id),
                }),
                Some((_, a)) => {
                    // A citation changes no verdict: `source_section` is not compared.
                    let keys = key_changes(a, b, &["id", "source_section"]);
                    if keys.is_empty() {
                        unchanged += 1;
                    } else {
                        out.push(RuleDiff::Changed {
                            id: id.clone(),
                            keys,
                        });
                    }
                }
            }
        }
        for (id, a) in &ra {
            if !rb.iter().any(|(i, _)| i == id) {
                out.push(RuleDiff::Removed {
                    id: id.clone(),
                    kind: field(a, "kind"),
                    severity: field(a, "severity"),
                    title: rule_title(from, id),
                });
            }
        }
        Ok(PolicyDiff {
            from: from.name.clone(),
            to: to.name.clone(),
            meta,
            rules: out,
            unchanged,
        })
    }

    /// Whether the two policies judge alike: no rule added, removed or changed (the `[policy]`
    /// table and comments may still differ).
    pub fn same_rules(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The rule's title as loaded (the default title when the file gives none).
fn rule_title(p: &Policy, id: &str) -> String {
    p.rules
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.title.clone())
        .unwrap_or_default()
}

impl fmt::Display for KeyChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.key)?;
        if self.reordered {
            return f.write_str("same entries, new order");
        }
        if !self.added.is_empty() || !self.removed.is_empty() {
            let mut parts: Vec<String> = self.added.iter().map(|x| format!("+{x}")).collect();
            parts.extend(self.removed.iter().map(|x| format!("-{x}")));
            return f.write_str(&parts.join(" "));
        }
        if matches!(self.key.as_str(), "message" | "title" | "description") {
            return f.write_str("reworded");
        }
        let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
        write!(f, "{} -> {}", side(&self.before), side(&self.after))
    }
}

impl fmt::Display for PolicyDiff {
    /// ```text
    /// mozilla-intermediate@5.7 -> mozilla-intermediate@5.8
    ///   source_version: 5.7 -> 5.8
    /// changed  suites.tls1_2.not_allowed
    ///            suites: -TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 …
    /// added    groups.pq_hybrid.not_offered (groups, info): …
    /// 9 rules unchanged
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} -> {}", self.from, self.to)?;
        for k in &self.meta {
            writeln!(f, "  {k}")?;
        }
        for r in &self.rules {
            match r {
                RuleDiff::Added {
                    id,
                    kind,
                    severity,
                    title,
                } => writeln!(f, "added    {id} ({kind}, {severity}): {title}")?,
                RuleDiff::Removed {
                    id,
                    kind,
                    severity,
                    title,
                } => writeln!(f, "removed  {id} ({kind}, {severity}): {title}")?,
                RuleDiff::Changed { id, keys } => {
                    writeln!(f, "changed  {id}")?;
                    for k in keys {
                        writeln!(f, "           {k}")?;
                    }
                }
            }
        }
        let n = self.unchanged;
        writeln!(f, "{n} rule{} unchanged", if n == 1 { "" } else { "s" })
    }
}
