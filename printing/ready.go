package printing

import (
	"fmt"
	"io"
	"strings"
)

// ReadySuffix ends the name of the file that marks a complete job.
const ReadySuffix = ".ready"

// maxReadySize bounds how much of a .ready file is read; x2goprint writes a
// file name and one title line.
const maxReadySize = 64 << 10

// readReady reads a .ready file from r: at most one byte more than
// maxReadySize, which is enough for ParseReady to refuse a larger one.
func readReady(r io.Reader) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, maxReadySize+1))
}

// ParseReady parses the content of a .ready file as x2goprint writes it:
// the PDF's file name, "\n", the job title (no newline after it, unless the
// title line brought one). Like python-x2go, content without a newline is
// all file name and gets DefaultTitle; an empty title also becomes
// DefaultTitle. Anything after the title line is ignored. The file name
// must be a plain name inside the spool (no "/" or "\", not "." or "..",
// no NUL); otherwise the error matches ErrInvalidJob.
func ParseReady(content []byte) (pdfName, title string, err error) {
	if len(content) > maxReadySize {
		return "", "", fmt.Errorf("%w: .ready file larger than %d bytes", ErrInvalidJob, maxReadySize)
	}
	s := string(content)
	pdfName, rest, found := strings.Cut(s, "\n")
	if found {
		title, _, _ = strings.Cut(rest, "\n")
	}
	pdfName = strings.TrimSuffix(pdfName, "\r")
	title = strings.TrimSuffix(title, "\r")
	if title == "" {
		title = DefaultTitle
	}
	if err := checkName(pdfName); err != nil {
		return "", "", err
	}
	return pdfName, title, nil
}

// checkName accepts a single path component that stays inside the spool.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty PDF file name", ErrInvalidJob)
	case name == "." || name == "..",
		strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("%w: PDF file name %q is not a plain file name", ErrInvalidJob, name)
	}
	return nil
}
