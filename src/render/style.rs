//! Terminal colour for the text reports.

use crate::render::view::{Phrase, Tone};

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when `stdout` is a terminal and NO_COLOR (https://no-color.org) is unset or empty.
    pub fn detect(is_tty: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: is_tty && !no_color,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }

    /// A tone as a colour: good green, weak yellow, bad red, dim dim.
    pub fn tone(&self, tone: Tone, s: &str) -> String {
        match tone {
            Tone::Good => self.green(s),
            Tone::Weak => self.yellow(s),
            Tone::Bad => self.red(s),
            Tone::Dim => self.dim(s),
        }
    }

    /// A phrase in the colour of its tone, or plain.
    pub fn phrase(&self, p: &Phrase) -> String {
        match p.tone {
            Some(t) => self.tone(t, &p.text),
            None => p.text.clone(),
        }
    }
}
