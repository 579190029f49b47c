package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCmd writes the manual pages, made from the command definitions, so
// that they always say what the program does.
func manCmd(e *env, root *cobra.Command) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "man",
		Short: "Write the manual page (troff)",
		Long: `Write the manual page x2go(1) on standard output, or with --dir one page per
command (x2go.1, x2go-list.1, ...) into a directory.`,
		Example: "  x2go man | man -l -\n  x2go man --dir /usr/local/share/man/man1",
		Args:    args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			header := &doc.GenManHeader{Title: "X2GO", Section: "1", Source: "x2go " + version, Manual: "x2go-go",
				Date: manDate()}
			root.DisableAutoGenTag = true
			if dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return failed(err, nil)
				}
				return failed(doc.GenManTree(root, header, dir), nil)
			}
			var b bytes.Buffer
			if err := doc.GenMan(root, header, &b); err != nil {
				return failed(err, nil)
			}
			_, err := e.stdout.Write(b.Bytes())
			return failed(err, nil)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "write a page per command into this directory")
	return c
}

// manDate is the pages' date: SOURCE_DATE_EPOCH for reproducible
// builds, else today.
func manDate() *time.Time {
	t := time.Now()
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		var sec int64
		if _, err := fmt.Sscan(v, &sec); err == nil {
			t = time.Unix(sec, 0)
		}
	}
	t = t.UTC()
	return &t
}
