package protocol

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"
)

// Menu categories of BuildMenu (server-protocol.md §6.8).
const (
	MenuTop         = "TOP"
	MenuMultimedia  = "Multimedia"
	MenuDevelopment = "Development"
	MenuEducation   = "Education"
	MenuGames       = "Games"
	MenuGraphics    = "Graphics"
	MenuInternet    = "Internet"
	MenuOffice      = "Office"
	MenuSystem      = "System"
	MenuUtilities   = "Utilities"
	MenuOther       = "Other Applications"
)

// DefaultMaxNoSubmenus is python-x2go's default for BuildMenu's
// maxNoSubmenus: with this many entries or fewer there are no submenus.
const DefaultMaxNoSubmenus = 10

// ParseApplications parses the output of x2gogetapps (server-protocol.md
// §6.8): one <desktop> … </desktop> block per published application, each
// holding the .desktop entry's Name, Comment, Exec, Terminal and
// Categories lines (localised ones included) and optionally an
// <icon> … </icon> block of base64 text. Line breaks and blank lines in
// the base64 are ignored. Keys and values follow the .desktop rules: the
// key is the text before the first '=', blanks around the '=' are
// dropped, and the value (everything after it) is kept whole. Lines inside
// a block without a key=value shape are ignored, so one broken .desktop
// file on the server does not hide the whole menu; broken structure
// (unbalanced or nested blocks, bad base64, truncated output) gives a
// *ParseError.
func ParseApplications(out string) ([]Application, error) {
	const what = "x2gogetapps"
	var (
		apps    []Application
		cur     *Application
		inIcon  bool
		iconB64 strings.Builder
		iconAt  int
	)
	lines := splitLines(out)
	for i, line := range lines {
		n := i + 1
		tag := strings.TrimSpace(line)
		switch {
		case inIcon:
			if tag == "</icon>" {
				icon, err := decodeIcon(iconB64.String())
				if err != nil {
					return nil, newParseError(what, iconAt, "", "bad base64 in <icon>: %v", err)
				}
				cur.Icon = icon
				inIcon = false
				continue
			}
			iconB64.WriteString(tag)
		case cur == nil:
			if tag == "" {
				continue
			}
			if tag != "<desktop>" {
				return nil, newParseError(what, n, line, "text outside <desktop> … </desktop>")
			}
			cur = &Application{}
		case tag == "</desktop>":
			apps = append(apps, *cur)
			cur = nil
		case tag == "<icon>":
			inIcon, iconAt = true, n
			iconB64.Reset()
		case tag == "<desktop>" || tag == "</icon>":
			return nil, newParseError(what, n, line, "unexpected %s", tag)
		default:
			k, v, ok := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				continue
			}
			cur.Entries = append(cur.Entries, KeyValue{Key: k, Value: strings.TrimLeft(v, " \t")})
		}
	}
	if inIcon {
		return nil, newParseError(what, len(lines), "", "output ends inside <icon> (truncated?)")
	}
	if cur != nil {
		return nil, newParseError(what, len(lines), "", "output ends inside <desktop> (truncated?)")
	}
	return apps, nil
}

// decodeIcon decodes the concatenated base64 lines of an icon; an empty
// icon is nil, like a missing one.
func decodeIcon(b64 string) ([]byte, error) {
	if b64 == "" {
		return nil, nil
	}
	icon, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	if len(icon) == 0 {
		return nil, nil
	}
	return icon, nil
}

// Value returns the value of the first entry with exactly the key (case
// sensitive, as in .desktop files) and whether there was one.
func (a Application) Value(key string) (string, bool) {
	for _, kv := range a.Entries {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// localized returns key[ll_CC], else key[ll], else key, the lookup order
// of the .desktop specification for the locale lang.
func (a Application) localized(key, lang string) (string, bool) {
	ll, cc := splitLang(lang)
	if ll != "" {
		if cc != "" {
			if v, ok := a.Value(key + "[" + ll + "_" + cc + "]"); ok {
				return v, true
			}
		}
		if v, ok := a.Value(key + "[" + ll + "]"); ok {
			return v, true
		}
	}
	return a.Value(key)
}

// splitLang splits a locale such as "de_DE.UTF-8@euro" into "de" and "DE".
func splitLang(lang string) (ll, cc string) {
	lang, _, _ = strings.Cut(lang, ".")
	lang, _, _ = strings.Cut(lang, "@")
	ll, cc, _ = strings.Cut(lang, "_")
	return ll, cc
}

// fieldCodes are the .desktop Exec field codes python-x2go removes: a
// published application is started without file arguments.
var fieldCodes = strings.NewReplacer("%f", "", "%F", "", "%u", "", "%U", "")

// categoryRules map substrings of a Categories value to a menu category;
// the first match wins. Settings keeps the default category, as in
// python-x2go.
var categoryRules = []struct{ sub, cat string }{
	{"X2Go-Top", MenuTop},
	{"Audio", MenuMultimedia},
	{"Video", MenuMultimedia},
	{"Development", MenuDevelopment},
	{"Education", MenuEducation},
	{"Game", MenuGames},
	{"Graphics", MenuGraphics},
	{"Network", MenuInternet},
	{"Office", MenuOffice},
	{"Settings", MenuOther},
	{"System", MenuSystem},
	{"Utility", MenuUtilities},
}

// category maps a Categories value to its menu category.
func category(cats string) string {
	for _, r := range categoryRules {
		if strings.Contains(cats, r.sub) {
			return r.cat
		}
	}
	return MenuOther
}

// MenuEntryFor turns one application into its menu entry for the locale
// lang (e.g. "de_DE.UTF-8"), following python-x2go's rules without its
// bugs: Name[ll_CC], Name[ll], then Name (same for Comment, which falls
// back to the name); Exec is everything after the first '=' with the field
// codes %f %F %u %U removed; Terminal=true (any case) wraps it as
// x-terminal-emulator -e '<exec>' with proper quoting. An entry without a
// name uses its command as name. ok is false when there is no Exec (such
// entries are dropped from menus).
func MenuEntryFor(a Application, lang string) (e MenuEntry, ok bool) {
	exec, _ := a.Value("Exec")
	exec = strings.TrimSpace(fieldCodes.Replace(exec))
	if exec == "" {
		return MenuEntry{}, false
	}
	if t, _ := a.Value("Terminal"); strings.EqualFold(strings.TrimSpace(t), "true") {
		exec = "x-terminal-emulator -e " + quoteAlways(exec)
	}
	name, _ := a.localized("Name", lang)
	if name == "" {
		name = exec
	}
	comment, _ := a.localized("Comment", lang)
	if comment == "" {
		comment = name
	}
	return MenuEntry{Name: name, Comment: comment, Exec: exec, Icon: a.Icon}, true
}

// BuildMenu arranges published applications into menu categories for the
// locale lang (server-protocol.md §6.8): entries without Exec are dropped;
// with maxNoSubmenus entries or fewer everything goes to MenuTop, otherwise
// each entry goes to the category its Categories line maps to (X2Go-Top →
// TOP, Audio/Video → Multimedia, Development, Education, Game → Games,
// Graphics, Network → Internet, Office, System, Utility → Utilities, else
// Other Applications). Entries are sorted by name (then command) and empty
// categories are left out. The result is never nil.
func BuildMenu(apps []Application, lang string, maxNoSubmenus int) Menu {
	type placed struct {
		cat string
		e   MenuEntry
	}
	var all []placed
	for _, a := range apps {
		e, ok := MenuEntryFor(a, lang)
		if !ok {
			continue
		}
		cats, _ := a.Value("Categories")
		all = append(all, placed{category(cats), e})
	}
	menu := Menu{}
	for _, p := range all {
		cat := p.cat
		if len(all) <= maxNoSubmenus {
			cat = MenuTop
		}
		menu[cat] = append(menu[cat], p.e)
	}
	for _, entries := range menu {
		slices.SortStableFunc(entries, func(a, b MenuEntry) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Exec, b.Exec))
		})
	}
	return menu
}
