package cicheck_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	root     = filepath.Join("..", "..")
	ciRun    = filepath.Join(root, ".ci", "run")
	workflow = filepath.Join(root, ".github", "workflows", "ci.yml")
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runSteps returns the commands of the workflow's run steps, one per
// line, without indentation.
func runSteps(t *testing.T, wf string) []string {
	t.Helper()
	var cmds []string
	lines := strings.Split(wf, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trimmed := strings.TrimSpace(l)
		if !strings.HasPrefix(trimmed, "run:") && !strings.HasPrefix(trimmed, "- run:") {
			continue
		}
		rest := strings.TrimSpace(trimmed[strings.Index(trimmed, "run:")+len("run:"):])
		if rest != "|" && rest != "|-" {
			cmds = append(cmds, rest)
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		for i+1 < len(lines) {
			next := lines[i+1]
			if strings.TrimSpace(next) != "" && len(next)-len(strings.TrimLeft(next, " ")) <= indent {
				break
			}
			i++
			if s := strings.TrimSpace(next); s != "" && !strings.HasPrefix(s, "#") {
				cmds = append(cmds, s)
			}
		}
	}
	if len(cmds) == 0 {
		t.Fatalf("no run steps found in %s", workflow)
	}
	return cmds
}

// pathPrefix matches a command run with a PATH assignment in front.
var pathPrefix = regexp.MustCompile(`^PATH=(?:"[^"]*"|\S+)\s+(.+)$`)

// setupActions are the packages of .ci/run that the workflow takes from
// an action instead of apt.
var setupActions = map[string]string{
	"nodejs": "actions/setup-node",
	"npm":    "actions/setup-node",
}

// TestWorkflowFollowsCIRun: the workflow runs .ci/run's commands (make
// targets, checks) in the same order, installs every apt package .ci/run
// may install (or sets it up by an action), and installs the same Go
// tools.
func TestWorkflowFollowsCIRun(t *testing.T) {
	run, wf := read(t, ciRun), read(t, workflow)
	steps := runSteps(t, wf)

	// The commands .ci/run runs once its tools are in place (after `go
	// version`), but for the installs (`command -v X || ...`): each must be
	// a run line of the workflow, in the same order. A leading PATH=...
	// assignment is dropped (the workflow adds GOPATH/bin to its PATH).
	var want []string
	started := false
	for _, l := range strings.Split(run, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "go version":
			started = true
			continue
		case !started, l == "", strings.HasPrefix(l, "#"), strings.HasPrefix(l, "command -v "):
			continue
		}
		if m := pathPrefix.FindStringSubmatch(l); m != nil {
			l = m[1]
		}
		want = append(want, l)
	}
	if len(want) == 0 || !slices.ContainsFunc(want, func(c string) bool { return strings.HasPrefix(c, "make ") }) {
		t.Fatalf("found no commands (make ...) after `go version` in %s: %q", ciRun, want)
	}
	var got []string
	for _, s := range steps {
		if slices.Contains(want, s) {
			got = append(got, s)
		}
	}
	if !slices.Equal(want, got) {
		t.Errorf("the workflow does not run .ci/run's commands in order:\n.ci/run: %q\nci.yml:  %q", want, got)
	}

	apt := ""
	for _, s := range steps {
		if strings.Contains(s, "apt-get install") || (apt != "" && strings.HasSuffix(apt, "\\")) {
			apt += " " + s
		}
	}
	installed := strings.Fields(strings.ReplaceAll(apt, "\\", " "))
	pkgs := regexp.MustCompile(`need\+=\(([a-z0-9.+-]+)\)`).FindAllStringSubmatch(run, -1)
	if len(pkgs) == 0 {
		t.Fatalf("no need+=(...) packages in %s", ciRun)
	}
	for _, m := range pkgs {
		pkg := m[1]
		if action, ok := setupActions[pkg]; ok {
			if !strings.Contains(wf, "uses: "+action+"@") {
				t.Errorf(".ci/run installs %s; the workflow neither installs it nor uses %s", pkg, action)
			}
			continue
		}
		if !slices.Contains(installed, pkg) {
			t.Errorf(".ci/run installs the apt package %s; the workflow's apt-get install does not", pkg)
		}
	}

	for _, m := range regexp.MustCompile(`go install (\S+)`).FindAllStringSubmatch(run, -1) {
		if !slices.Contains(steps, "go install "+m[1]) {
			t.Errorf(".ci/run runs `go install %s`; the workflow does not", m[1])
		}
	}
}

// actionlintBinary finds actionlint on PATH or in GOPATH/bin.
func actionlintBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("actionlint"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "actionlint")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("actionlint is not installed: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 (.ci/run does)")
	return ""
}

// TestActionlint checks the workflow with actionlint (and, when it is
// installed, shellcheck on its run steps, as actionlint does by itself).
func TestActionlint(t *testing.T) {
	cmd := exec.Command(actionlintBinary(t), "-no-color", filepath.Join(".github", "workflows", "ci.yml"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}
