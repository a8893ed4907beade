package main

import (
	"runtime/debug"
	"strings"
)

// commit and date are set by the release build with
// -ldflags "-X main.commit=<full hash> -X main.date=<RFC 3339 commit time>";
// otherwise they come from the vcs.revision and vcs.time that the go command
// stamps into a build from a checkout, when it does.
var (
	commit = ""
	date   = ""
)

// versionLine is what `alfe-mcp version` prints: the version, then the
// commit and its date when they are known.
func versionLine() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(buildVersion(), commit, date, info)
}

// formatVersion renders "alfe-mcp VERSION (commit HASH, DATE)", leaving out
// what is unknown. Values set at link time win over the build info's VCS
// stamp; "modified" is added when the commit comes from a stamp of a checkout
// with uncommitted changes.
func formatVersion(version, commit, date string, info *debug.BuildInfo) string {
	modified := false
	if info != nil {
		fromInfo := commit == ""
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if fromInfo {
					commit = s.Value
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			case "vcs.modified":
				modified = fromInfo && s.Value == "true"
			}
		}
	}
	var details []string
	if commit != "" {
		details = append(details, "commit "+commit)
	}
	if date != "" {
		details = append(details, date)
	}
	if modified && commit != "" {
		details = append(details, "modified")
	}
	line := "alfe-mcp " + version
	if len(details) > 0 {
		line += " (" + strings.Join(details, ", ") + ")"
	}
	return line
}
