package profile

import (
	"fmt"
	"slices"
	"strings"
)

// Settings is X2Go Client's `settings` file. Its keys (see SettingsKeys)
// read with python-x2go's defaults through Section; python-x2go only
// stores them.
type Settings struct {
	*File
}

var settingsSchema = tableSchema(settingsKeys)

// ParseSettings reads a settings file from memory, leniently (see Parse).
func ParseSettings(data []byte) (*Settings, error) {
	f, err := parseFile(data, "", settingsFile)
	return &Settings{f}, err
}

// LoadSettings reads a settings file, leniently (see ReadFile for a
// missing file).
func LoadSettings(path string) (*Settings, error) {
	f, err := readFile(path, settingsFile)
	if f == nil {
		return nil, err
	}
	return &Settings{f}, err
}

// Printing is X2Go Client's `printing` file: what to do with a print job
// the server sends (see PrintAction). Its keys (see PrintingKeys) read with
// python-x2go's defaults through Section.
type Printing struct {
	*File
}

var printingSchema = tableSchema(printingKeys)

// ParsePrinting reads a printing file from memory, leniently (see Parse).
func ParsePrinting(data []byte) (*Printing, error) {
	f, err := parseFile(data, "", printingFile)
	return &Printing{f}, err
}

// LoadPrinting reads a printing file, leniently (see ReadFile for a
// missing file).
func LoadPrinting(path string) (*Printing, error) {
	f, err := readFile(path, printingFile)
	if f == nil {
		return nil, err
	}
	return &Printing{f}, err
}

// FillDefaults adds every key python-x2go knows that the file lacks, with
// its default, as python-x2go does when it writes the file (for the
// sessions file: to every profile). Keys already present are not touched.
// A file of unknown kind (Parse, ReadFile) is left as it is.
func (f *File) FillDefaults() {
	var specs []KeySpec
	switch f.kind {
	case settingsFile:
		specs = SettingsKeys()
	case printingFile:
		specs = PrintingKeys()
	case sessionsFile:
		specs = newProfileKeys()
		for _, p := range (&Sessions{f: f}).Profiles() {
			fillSection(&p.Section, specs)
		}
		return
	default:
		return
	}
	// Section by section, in the table's order.
	var order []string
	for _, k := range specs {
		if !slices.Contains(order, k.Section) {
			order = append(order, k.Section)
		}
	}
	for _, sec := range order {
		var in []KeySpec
		for _, k := range specs {
			if k.Section == sec {
				in = append(in, k)
			}
		}
		fillSection(f.Section(sec), in)
	}
}

// newProfileKeys lists the profile keys in the order they are added to a
// profile: alphabetically, as Qt writes keys new to a section.
func newProfileKeys() []KeySpec {
	specs := ProfileKeys()
	slices.SortFunc(specs, func(a, b KeySpec) int { return strings.Compare(a.Name, b.Name) })
	return specs
}

// fillSection sets each key of specs that s lacks to its default.
func fillSection(s *Section, specs []KeySpec) {
	for _, k := range specs {
		if s.Has(k.Name) {
			continue
		}
		switch v := k.Default.(type) {
		case string:
			s.SetString(k.Name, v)
		case int:
			s.SetInt(k.Name, v)
		case bool:
			s.SetBool(k.Name, v)
		case []string:
			s.SetList(k.Name, v)
		case []Export:
			s.SetString(k.Name, FormatExports(v))
		}
	}
}

// PrintAction is what to do with an incoming print job.
type PrintAction int

// The print actions of python-x2go.
const (
	PrintDialog  PrintAction = iota // ask the user (DIALOG)
	PrintPDFView                    // open the PDF in a viewer (PDFVIEW)
	PrintPDFSave                    // save the PDF in a folder (PDFSAVE)
	PrintCUPS                       // print on a CUPS printer (PRINT)
	PrintCommand                    // pipe it to a command (PRINTCMD)
)

func (a PrintAction) String() string {
	switch a {
	case PrintDialog:
		return "DIALOG"
	case PrintPDFView:
		return "PDFVIEW"
	case PrintPDFSave:
		return "PDFSAVE"
	case PrintCUPS:
		return "PRINT"
	case PrintCommand:
		return "PRINTCMD"
	}
	return fmt.Sprintf("PrintAction(%d)", int(a))
}

// PrintSetup is a print action with the setting it uses.
type PrintSetup struct {
	Action PrintAction
	// Arg is the PDF viewer command (PrintPDFView), the folder relative
	// to the home directory (PrintPDFSave), the CUPS printer (PrintCUPS)
	// or the print command (PrintCommand); "" for PrintDialog.
	Arg string
}

// Action derives the print action as python-x2go does, first match wins:
// showdialog → dialog (only when the client can show one: pass
// canDialog); pdfview and open → view with [view] command; pdfview and not
// open → save to [save] folder; not startcmd → CUPS printer [CUPS]
// defaultprinter; else the command [print] command.
func (p *Printing) Action(canDialog bool) (PrintSetup, error) {
	g := p.Section("General")
	showDialog, err1 := g.Bool("showdialog")
	pdfView, err2 := g.Bool("pdfview")
	open, err3 := p.Section("view").Bool("open")
	startCmd, err4 := p.Section("print").Bool("startcmd")
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return PrintSetup{}, err
		}
	}
	switch {
	case showDialog && canDialog:
		return PrintSetup{Action: PrintDialog}, nil
	case pdfView && open:
		return PrintSetup{PrintPDFView, p.Section("view").String("command")}, nil
	case pdfView:
		return PrintSetup{PrintPDFSave, p.Section("save").String("folder")}, nil
	case !startCmd:
		return PrintSetup{PrintCUPS, p.Section("CUPS").String("defaultprinter")}, nil
	default:
		return PrintSetup{PrintCommand, p.Section("print").String("command")}, nil
	}
}

// SetAction stores a print action the way python-x2go does: the flags
// that select it (showdialog; pdfview and open; pdfview and startcmd) and,
// unless Arg is empty, the setting the action uses.
func (p *Printing) SetAction(s PrintSetup) {
	g := p.Section("General")
	g.SetBool("showdialog", s.Action == PrintDialog)
	switch s.Action {
	case PrintPDFView:
		g.SetBool("pdfview", true)
		p.Section("view").SetBool("open", true)
	case PrintPDFSave:
		g.SetBool("pdfview", true)
		p.Section("view").SetBool("open", false)
	case PrintCUPS:
		g.SetBool("pdfview", false)
		p.Section("print").SetBool("startcmd", false)
	case PrintCommand:
		g.SetBool("pdfview", false)
		p.Section("print").SetBool("startcmd", true)
	}
	if s.Arg == "" {
		return
	}
	switch s.Action {
	case PrintPDFView:
		p.Section("view").SetString("command", s.Arg)
	case PrintPDFSave:
		p.Section("save").SetString("folder", s.Arg)
	case PrintCUPS:
		p.Section("CUPS").SetString("defaultprinter", s.Arg)
	case PrintCommand:
		p.Section("print").SetString("command", s.Arg)
	}
}
