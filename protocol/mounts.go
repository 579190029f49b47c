package protocol

import "strings"

// ParseMounts parses the output of x2golistmounts (server-protocol.md
// §6.7): one <client>|<mount path> line per mounted client folder. The
// server always ends its output with a newline, so no mounts is a lone
// empty line; blank lines are skipped. Other lines give a *ParseError.
func ParseMounts(out string) ([]Mount, error) {
	var list []Mount
	for i, line := range splitLines(out) {
		if isBlank(line) {
			continue
		}
		client, path, ok := strings.Cut(line, "|")
		if !ok || client == "" || path == "" {
			return nil, newParseError("x2golistmounts", i+1, line, "not <client>|<mount path>")
		}
		list = append(list, Mount{Client: client, Path: path})
	}
	return list, nil
}
