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

// TestDevStackLeftOut: the production image's one binary, cmd/quizflow
// built with -tags nodev (the roles and the operator CLI), links none of the
// dev services, and neither do the standalone cmd/api, cmd/worker and
// cmd/scheduler. The full cmd/quizflow does link them, which shows the check
// sees them; the nodev one still has the roles (internal/app, the sandbox)
// and the backup and restore code.
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

// TestNodevCLI builds the image's binary as the Dockerfile does and runs
// it: `dev` fails saying this build has none; `help` lists the roles and the
// operator commands; and with the sandbox's child environment set the binary
// is an extraction child before any subcommand is looked at (it answers a
// malformed request as the child does), which is what lets a `quizflow
// worker` re-execute itself. cmd/quizflow's TestNodevRoles runs a real
// extraction through that child.
func TestNodevCLI(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "quizflow")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "nodev", "-o", bin, "./cmd/quizflow")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nodev ./cmd/quizflow: %v\n%s", err, out)
	}
	if fi, err := os.Stat(bin); err == nil {
		t.Logf("quizflow -tags nodev, stripped: %.1f MiB", float64(fi.Size())/(1<<20))
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
	for _, want := range []string{"quizflow api ", "quizflow worker ", "quizflow scheduler ", "quizflow admin grant EMAIL", "quizflow backup", "quizflow restore"} {
		if !strings.Contains(string(help), want) {
			t.Errorf("quizflow help (nodev) lacks %q:\n%s", want, help)
		}
	}
	// The child the sandbox starts: this binary, its mode in the
	// environment, the request in another variable, and here a subcommand
	// that would otherwise run the worker. A malformed request is exit
	// status 2 with the child's message; a worker would instead fail on its
	// configuration.
	stdout.Reset()
	stderr.Reset()
	child := exec.CommandContext(ctx, bin, "worker")
	child.Env = []string{"QUIZFLOW_SANDBOX=extract", "QUIZFLOW_SANDBOX_REQUEST={not json"}
	child.Stdout, child.Stderr = &stdout, &stderr
	err = child.Run()
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "sandbox child: bad request") {
		t.Errorf("quizflow worker as an extraction child = %v, stdout %q stderr %q; want exit status 2 and the child's bad-request message",
			err, stdout.String(), stderr.String())
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

// TestDockerfile: the image builds one binary, cmd/quizflow, static and
// stripped with -tags nodev, copies only it, runs it as the entrypoint with
// the api role by default, on distroless static as the nonroot user, with
// TMPDIR on /tmp and no HEALTHCHECK.
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
		`RUN go build -trimpath -ldflags="-s -w" -tags nodev -o /out/quizflow ./cmd/quizflow`,
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"COPY --from=build /out/quizflow /usr/local/bin/quizflow",
		`ENTRYPOINT ["/usr/local/bin/quizflow"]`,
		`CMD ["api"]`,
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
	if n := strings.Count(joined, "go build"); n != 1 {
		t.Errorf("Dockerfile runs go build %d times, want once (only cmd/quizflow -tags nodev)", n)
	}
	for _, role := range []string{"cmd/api", "cmd/worker", "cmd/scheduler"} {
		if strings.Contains(joined, role) {
			t.Errorf("Dockerfile builds %s: the image's roles are quizflow subcommands", role)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^COPY --from=build `).FindAllString(joined, -1)); n != 1 {
		t.Errorf("Dockerfile copies %d things from the build stage, want only the quizflow binary", n)
	}
}

// TestCompose runs `docker-compose config` on docker-compose.yml (with
// stand-in values for the secrets it requires) and checks that the app
// services run the image's entrypoint (quizflow) with their role as the
// command, on a read-only root with /tmp as tmpfs and no capabilities.
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
			Command     any      `json:"command"`
			ReadOnly    bool     `json:"read_only"`
			Tmpfs       any      `json:"tmpfs"`
			CapDrop     []string `json:"cap_drop"`
			SecurityOpt []string `json:"security_opt"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("read docker-compose config output: %v", err)
	}
	for svc, role := range map[string]string{"api": "api", "worker": "worker", "scheduler": "scheduler"} {
		s, ok := cfg.Services[svc]
		if !ok {
			t.Errorf("compose has no %s service", svc)
			continue
		}
		if s.Entrypoint != nil || toString(s.Command) != role {
			t.Errorf("compose %s: entrypoint %v command %v, want the image's entrypoint (quizflow) and command [%s]", svc, s.Entrypoint, s.Command, role)
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
