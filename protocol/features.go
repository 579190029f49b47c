package protocol

import (
	"regexp"
	"slices"
	"strings"
)

// Server features (x2gofeaturelist, server-protocol.md §4) that change
// what a client may do.
const (
	FeatureListDesktops          = "X2GO_LIST_DESKTOPS"
	FeatureListShadowSessions    = "X2GO_LIST_SHADOWSESSIONS"
	FeatureMountDirs             = "X2GO_MOUNTDIRS"
	FeatureUmountSessionAll      = "X2GO_UMOUNTSESSION_ALL"
	FeatureUmountSessionOnlyPath = "X2GO_UMOUNTSESSION_ONLYPATH"
	FeaturePublishedApplications = "X2GO_PUBLISHED_APPLICATIONS"
	FeatureServerSideDesktopCmds = "X2GO_SERVERSIDE_DESKTOPCOMMANDS"
	FeatureSetKeyboard           = "X2GO_SET_KEYBOARD"
	FeatureMountUNCPaths         = "X2GO_MOUNT_UNCPATHS"
	FeatureClipboardModes        = "X2GO_CLIPBOARD_MODES"
	FeatureXSession              = "X2GO_XSESSION"
	FeaturePrinting              = "X2GO_PRINTING"
	FeatureAgentRandRXinerama    = "X2GOAGENT_RANDRXINERAMA"
	FeatureKDriveBaseSupport     = "X2GOKDRIVE_BASE_SUPPORT"
	FeatureTelekinesis           = "X2GO_TELEKINESIS"
	FeatureTelekinesisSFTPServer = "X2GO_TELEKINESIS_TEKISFTPSERVER"
)

var featureRE = regexp.MustCompile(`^[A-Z0-9_]+$`)

// ParseFeatures parses the output of x2gofeaturelist (server-protocol.md
// §6.2): one feature name per line. The server's order depends on its
// locale, so the result is sorted and de-duplicated; blank lines are
// skipped. A name that is not ^[A-Z0-9_]+$ gives a *ParseError.
func ParseFeatures(out string) ([]string, error) {
	var list []string
	for i, line := range splitLines(out) {
		name := strings.TrimSpace(line)
		if name == "" {
			continue
		}
		if len(name) > 200 || !featureRE.MatchString(name) {
			return nil, newParseError("x2gofeaturelist", i+1, line, "not a feature name")
		}
		list = append(list, name)
	}
	slices.Sort(list)
	return slices.Compact(list), nil
}
