//! robots.txt (RFC 9309): the group for our product token, else `*`; the
//! longest matching rule wins, `Allow` on a tie; `*` and `$` wildcards.

/// Parsed rules for one user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    /// `(allow, pattern)` pairs.
    rules: Vec<(bool, String)>,
}

impl Robots {
    /// Everything allowed (no robots.txt, or a 4xx).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Everything disallowed (the server failed: RFC 9309 says assume complete disallow).
    pub fn disallow_all() -> Robots {
        Robots {
            rules: vec![(false, "/".into())],
        }
    }

    /// Parses robots.txt for `agent` (our product token, e.g. `marsad`).
    pub fn parse(text: &str, agent: &str) -> Robots {
        let agent = agent.to_ascii_lowercase();
        // (user agents, rules) per group.
        type Group = (Vec<String>, Vec<(bool, String)>);
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents || groups.is_empty() {
                        groups.push((Vec::new(), Vec::new()));
                    }
                    if let Some(g) = groups.last_mut() {
                        g.0.push(value.to_ascii_lowercase());
                    }
                    in_agents = true;
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut()
                        && !value.is_empty()
                    {
                        g.1.push((key == "allow", value.to_string()));
                    }
                }
                _ => {}
            }
        }
        let specific: Vec<(bool, String)> = groups
            .iter()
            .filter(|(agents, _)| {
                agents
                    .iter()
                    .any(|a| a != "*" && agent.starts_with(a.as_str()))
            })
            .flat_map(|(_, rules)| rules.clone())
            .collect();
        let rules = if specific.is_empty()
            && !groups
                .iter()
                .any(|(a, _)| a.iter().any(|x| x != "*" && agent.starts_with(x.as_str())))
        {
            groups
                .iter()
                .filter(|(agents, _)| agents.iter().any(|a| a == "*"))
                .flat_map(|(_, r)| r.clone())
                .collect()
        } else {
            specific
        };
        Robots { rules }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// `*` matches any run of characters; a trailing `$` anchors at the end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if let Some(found) = path[pos..].find(part) {
            pos += found + part.len();
        } else {
            return false;
        }
    }
    if anchored {
        parts.len() > 1 && parts.last().is_some_and(|l| path.ends_with(l)) || pos == path.len()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_longest_match_and_wildcards() {
        let txt = "User-agent: *\nDisallow: /private/\nCrawl-delay: 5\n\nUser-agent: marsad\nUser-agent: otherbot\nDisallow: /news/*/print$\nDisallow: /search\nAllow: /search/libya\n";
        let r = Robots::parse(txt, "marsad");
        assert!(r.allowed("/news/libya/1"));
        assert!(!r.allowed("/news/libya/1/print"));
        assert!(r.allowed("/news/libya/1/print/x"));
        assert!(!r.allowed("/search?q=x"));
        assert!(r.allowed("/search/libya?page=2"));
        assert!(
            r.allowed("/private/x"),
            "our own group replaces the * group"
        );
        let other = Robots::parse(txt, "somebot");
        assert!(!other.allowed("/private/x"));
        assert!(other.allowed("/search"));
        assert!(Robots::parse("", "marsad").allowed("/x"));
        assert!(!Robots::disallow_all().allowed("/x"));
        assert!(Robots::parse("User-agent: *\nDisallow: /\nAllow: /$\n", "marsad").allowed("/"));
    }
}
