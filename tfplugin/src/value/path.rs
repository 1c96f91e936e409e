//! Attribute paths: where in a value a diagnostic or a change applies.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// An object attribute or a nested block.
    Attr(String),
    /// A map key.
    Key(String),
    /// A list or tuple index.
    Index(i64),
}

/// A path into a value, e.g. `rule[0].priority`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath(Vec<Step>);

impl AttributePath {
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    pub fn attr(name: impl Into<String>) -> Self {
        AttributePath(vec![Step::Attr(name.into())])
    }

    pub fn from_steps(steps: Vec<Step>) -> Self {
        AttributePath(steps)
    }

    #[must_use]
    pub fn push_attr(&self, name: impl Into<String>) -> Self {
        self.with(Step::Attr(name.into()))
    }

    #[must_use]
    pub fn push_key(&self, key: impl Into<String>) -> Self {
        self.with(Step::Key(key.into()))
    }

    #[must_use]
    pub fn push_index(&self, index: usize) -> Self {
        self.with(Step::Index(i64::try_from(index).unwrap_or(i64::MAX)))
    }

    fn with(&self, step: Step) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        AttributePath(steps)
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attr(n) if i == 0 => f.write_str(n)?,
                Step::Attr(n) => write!(f, ".{n}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform() {
        let p = AttributePath::attr("rule")
            .push_index(0)
            .push_attr("tags")
            .push_key("env");
        assert_eq!(p.to_string(), "rule[0].tags[\"env\"]");
    }
}
