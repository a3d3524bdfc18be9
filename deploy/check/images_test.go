package check

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const mainModule = "github.com/quizflow/quizflow"

// devOnly are the package path prefixes of the embedded dev services: none
// may be linked into a production binary.
var devOnly = []string{
	mainModule + "/internal/devstack",
	mainModule + "/internal/embedded",
	mainModule + "/internal/testenv",
	"github.com/FerretDB/",
	"modernc.org/sqlite",
	"github.com/johannesboyne/gofakes3",
	"github.com/alicebob/miniredis",
}

// goList returns `go list -deps` of pkgs in the main module.
func goList(t *testing.T, tags string, pkgs ...string) []string {
	t.Helper()
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, stderr.String())
	}
	return strings.Fields(string(out))
}

func devPackages(deps []string) []string {
	var bad []string
	for _, d := range deps {
		for _, p := range devOnly {
			if d == p || strings.HasPrefix(d, p+"/") || (strings.HasSuffix(p, "/") && strings.HasPrefix(d, p)) {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

// TestDevStackLeftOut: the binaries of the production image link none of
// the dev services: cmd/quizflow built with -tags nodev (the operator CLI)
// and cmd/api, cmd/worker, cmd/scheduler as they are. The full cmd/quizflow
// does link them, which shows the check sees them; the nodev one still has
// the backup and restore code.
func TestDevStackLeftOut(t *testing.T) {
	full := goList(t, "", "./cmd/quizflow")
	if len(devPackages(full)) == 0 {
		t.Fatalf("the full cmd/quizflow links no dev package of %v: the check is looking at the wrong names", devOnly)
	}
	nodev := goList(t, "nodev", "./cmd/quizflow")
	if bad := devPackages(nodev); len(bad) > 0 {
		t.Errorf("cmd/quizflow -tags nodev links dev-only packages:\n%s", strings.Join(bad, "\n"))
	}
	for _, want := range []string{mainModule + "/internal/backup", mainModule + "/internal/app", mainModule + "/internal/sandbox"} {
		if !slices.Contains(nodev, want) {
			t.Errorf("cmd/quizflow -tags nodev lacks %s", want)
		}
	}
	for _, cmd := range []string{"./cmd/api", "./cmd/worker", "./cmd/scheduler"} {
		if bad := devPackages(goList(t, "", cmd)); len(bad) > 0 {
			t.Errorf("%s links dev-only packages:\n%s", cmd, strings.Join(bad, "\n"))
		}
	}
}

// TestNodevCLI builds the operator CLI as the Dockerfile does and runs it:
// `dev` fails saying this build has none; `help` still lists the operator
// commands.
func TestNodevCLI(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "quizflow")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-tags", "nodev", "-o", bin, "./cmd/quizflow")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nodev ./cmd/quizflow: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	dev := exec.CommandContext(ctx, bin, "dev")
	dev.Stdout, dev.Stderr = &stdout, &stderr
	err := dev.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("quizflow dev (nodev) = %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "this build has no dev stack; use the full quizflow binary") || stdout.Len() > 0 {
		t.Errorf("quizflow dev (nodev) printed stdout %q stderr %q", stdout.String(), stderr.String())
	}
	help, err := exec.CommandContext(ctx, bin, "help").Output()
	if err != nil {
		t.Fatalf("quizflow help: %v", err)
	}
	for _, want := range []string{"quizflow admin grant EMAIL", "quizflow backup", "quizflow restore"} {
		if !strings.Contains(string(help), want) {
			t.Errorf("quizflow help (nodev) lacks %q:\n%s", want, help)
		}
	}
}

// TestSandboxMainFirst: the binaries that run extraction (the worker, and
// quizflow, whose dev command runs a worker) call sandbox.Main() as the
// first statement of main, so an extraction child re-executing the binary
// becomes the child before anything else starts.
func TestSandboxMainFirst(t *testing.T) {
	mains, err := filepath.Glob(filepath.Join(root, "cmd", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no cmd/*/main.go (%v)", err)
	}
	checked := 0
	for _, path := range mains {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(path))
		if name != "quizflow" && !strings.Contains(string(src), "RoleWorker") {
			continue
		}
		checked++
		f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		var first ast.Stmt
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "main" && fn.Recv == nil && len(fn.Body.List) > 0 {
				first = fn.Body.List[0]
			}
		}
		if !isSandboxMain(first) {
			t.Errorf("cmd/%s: the first statement of main is not sandbox.Main()", name)
		}
	}
	if checked < 2 {
		t.Errorf("checked %d binaries, want at least cmd/worker and cmd/quizflow", checked)
	}
}

// isSandboxMain reports whether stmt is the call sandbox.Main().
func isSandboxMain(stmt ast.Stmt) bool {
	es, ok := stmt.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) > 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "sandbox" && sel.Sel.Name == "Main"
}

// TestDockerfile: the image builds every cmd/ binary static and stripped,
// the operator CLI with -tags nodev, on distroless static as the nonroot
// user, with TMPDIR on /tmp and no HEALTHCHECK.
func TestDockerfile(t *testing.T) {
	df := readFile(t, "Dockerfile")
	var lines []string // RUN/ENV/FROM... instructions, continuations joined
	for _, l := range strings.Split(strings.ReplaceAll(df, "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	joined := strings.Join(lines, "\n")
	for _, want := range []string{
		"ENV CGO_ENABLED=0",
		`go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/api ./cmd/worker ./cmd/scheduler`,
		`go build -trimpath -ldflags="-s -w" -tags nodev -o /out/quizflow ./cmd/quizflow`,
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
		"ENV TMPDIR=/tmp",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?m)^HEALTHCHECK`).MatchString(joined) {
		t.Error("Dockerfile has a HEALTHCHECK (distroless has no shell or curl to run one)")
	}
	cmds, _ := filepath.Glob(filepath.Join(root, "cmd", "*"))
	for _, c := range cmds {
		if !strings.Contains(joined, "./cmd/"+filepath.Base(c)) {
			t.Errorf("Dockerfile does not build cmd/%s", filepath.Base(c))
		}
	}
}

// TestCompose runs `docker-compose config` on docker-compose.yml (with
// stand-in values for the secrets it requires) and checks that the app
// services run the image's binaries on a read-only root with /tmp as tmpfs
// and no capabilities.
func TestCompose(t *testing.T) {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatal("docker-compose not found: install Debian's docker-compose package (.ci/run does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker-compose", "config")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MINIO_ROOT_PASSWORD=check-password", "JWT_ACCESS_SECRET=check-access", "JWT_REFRESH_SECRET=check-refresh", "METRICS_TOKEN=check-metrics")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, stderr.String())
	}
	var cfg struct {
		Services map[string]struct {
			Entrypoint  any      `json:"entrypoint"`
			ReadOnly    bool     `json:"read_only"`
			Tmpfs       any      `json:"tmpfs"`
			CapDrop     []string `json:"cap_drop"`
			SecurityOpt []string `json:"security_opt"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("read docker-compose config output: %v", err)
	}
	for svc, bin := range map[string]string{"api": "api", "worker": "worker", "scheduler": "scheduler"} {
		s, ok := cfg.Services[svc]
		if !ok {
			t.Errorf("compose has no %s service", svc)
			continue
		}
		if !strings.Contains(toString(s.Entrypoint), "/usr/local/bin/"+bin) {
			t.Errorf("compose %s: entrypoint %v, want /usr/local/bin/%s", svc, s.Entrypoint, bin)
		}
		if !s.ReadOnly || !strings.Contains(toString(s.Tmpfs), "/tmp") || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("compose %s: read_only %v tmpfs %v cap_drop %v security_opt %v, want read-only, /tmp tmpfs, drop ALL, no-new-privileges",
				svc, s.ReadOnly, s.Tmpfs, s.CapDrop, s.SecurityOpt)
		}
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, toString(x))
		}
		return strings.Join(parts, " ")
	}
	return ""
}
