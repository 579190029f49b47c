// Package profile reads and writes the configuration files X2Go Client and
// python-x2go keep in ~/.x2goclient (ClientDir): `sessions`, the session
// profiles (Sessions, Profile); `settings` (Settings); and `printing`, what
// to do with print jobs (Printing). It turns a profile into the parameters
// a session needs (Profile.Params) the way python-x2go does.
//
// # Format
//
// The files are written by X2Go Client through Qt's QSettings (INI format,
// Qt 5, no text codec). This package reads them as QSettings does — quoted
// values, backslash escapes, comma-separated lists, @Invalid() for null,
// %XX escapes in section and key names, ';' comments, backslash line
// continuations — and also accepts what python-x2go writes (key = value,
// 1/0 booleans, unquoted lists, bracketed lists). It writes new values
// exactly as QSettings would (a test compares the bytes with Qt's own),
// and keeps every other byte of the file: comments, blank lines, unknown
// keys and sections, the spacing around '=', line breaks, even lines it
// could not parse. Writes are atomic (File.WriteFile).
//
// Reading is lenient: a line that cannot be parsed is reported as a
// *SyntaxError naming the line, and the rest of the file, every other
// profile included, is still read.
//
// # Where this package differs
//
// From Qt 5's QSettings (whose choices it otherwise follows):
//   - A line starting with '#' is a comment (as for python-x2go); Qt reads
//     "#k=v" as a key named "#k".
//   - A quoted value does not run on over a line break: the line is
//     reported and reading goes on with the next line (Qt would swallow
//     everything up to the next '"'). Qt never writes such values.
//   - Non-ASCII bytes written raw (python-x2go does this) are read as
//     UTF-8 where they are valid UTF-8, as Qt 6 and python-x2go do; Qt 5
//     reads them as Latin-1. Written values use Qt 5's \x escapes, which
//     every Qt version reads.
//   - Booleans are python-x2go's words (1/yes/true/on, 0/no/false/off);
//     Qt would read any other non-empty text, "no" included, as true.
//
// From python-x2go (which reads the file with Python's configparser):
//   - Quotes and escapes are undone, so name="a, b" is the name a, b;
//     python-x2go keeps the quotes (it strips them from `export` only).
//   - An unquoted ';' starts a comment; python-x2go keeps it in the value.
//   - '%' is an ordinary character; python-x2go fails on it.
//   - @Invalid() reads as empty (Qt's null); python-x2go reads the text.
//   - Section names are unescaped (%7B… is {…}).
//   - A key or section that appears twice is merged, the last value
//     winning (as in Qt); python-x2go rejects the file.
//   - Every section is a profile except `none`, `embedded` and `General`
//     (Qt's root group); python-x2go skips any name that is part of the
//     word "embedded" and lists `General`.
//   - A name shared by two profiles makes a name look-up fail with
//     ErrAmbiguous; python-x2go renames them in memory to "name (1)",
//     "name (2)".
//   - Changing `host` keeps the profile's ID (python-x2go gives it a new
//     one on write), and new IDs have X2Go Client's 17-digit form
//     (python-x2go's has a bug that puts the month where the minutes
//     belong).
//   - Params splits `mimeboxextensions` into a list (python-x2go 3 leaves
//     it one string), accepts link names in `speed`, and sets Server to
//     the first host (python-x2go picks one at random; Hosts has them
//     all).
//   - New files are created with mode 0600, not from the umask.
package profile
