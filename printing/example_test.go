package printing_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/x2go-go/x2go/printing"
)

// Example watches a session's print spool and saves every job as a PDF
// named after its title.
func Example() {
	sessionDir := filepath.Join(os.TempDir(), "x2go-example", "S-demo")
	w, err := printing.New(printing.Config{
		Dir:     filepath.Join(sessionDir, "spool"), // mounted by the server as X2GO_SPOOLDIR
		Action:  printing.PDFSave,
		SaveDir: "~/PDF",
		OnDone: func(job printing.Job, res printing.Result) {
			fmt.Println("saved", job.Title, "as", res.Output)
		},
		OnError: func(err error) {
			var je *printing.JobError
			if errors.As(err, &je) {
				fmt.Println("job kept in", je.Job.PDF, "because", je.Err)
			}
		},
		Logger: slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx) // returns when ctx ends or w is closed
}

// ExampleSplitCommand shows how a print command from a configuration file
// becomes the argv PrintCmd runs (no shell is involved).
func ExampleSplitCommand() {
	argv, err := printing.SplitCommand(`lpr -P "Office Color" -o 'media=A4'`)
	fmt.Printf("%q %v\n", argv, err)
	// Output: ["lpr" "-P" "Office Color" "-o" "media=A4"] <nil>
}
