package opscheck_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quizflow/quizflow/internal/opscheck"
)

// repoDir is the repository's root.
func repoDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// promtool returns promtool's path, failing the test (never skipping it)
// when it is not installed.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: apt-get install prometheus (Debian's package has promtool); .ci/run installs it")
	}
	return p
}

// TestPromtoolCheckRules runs `promtool check rules` on every rule file in
// deploy/prometheus.
func TestPromtoolCheckRules(t *testing.T) {
	dir := filepath.Join(repoDir(t), "deploy", "prometheus")
	files, err := opscheck.RuleFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool(t), append([]string{"check", "rules"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "SUCCESS"); n != len(files) {
		t.Errorf("promtool checked %d of %d files:\n%s", n, len(files), out)
	}
}

// TestPromtoolTestRules runs the rule unit tests in deploy/prometheus/tests
// (`promtool test rules`), and checks that every alert has a test.
func TestPromtoolTestRules(t *testing.T) {
	dir := filepath.Join(repoDir(t), "deploy", "prometheus", "tests")
	tests, err := filepath.Glob(filepath.Join(dir, "*_test.yml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule tests in %s (%v)", dir, err)
	}
	cmd := exec.Command(promtool(t), append([]string{"test", "rules"}, tests...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "SUCCESS"); n != len(tests) {
		t.Errorf("%d of %d test files passed:\n%s", n, len(tests), out)
	}

	// Every alert is named by some test, both firing (exp_alerts with
	// labels) and not firing (exp_alerts: []): checked per alert below.
	exprs, err := opscheck.RuleExprs(filepath.Join(repoDir(t), "deploy", "prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	fires, quiet := opscheck.TestedAlerts(t, tests)
	for _, e := range exprs {
		alert := e.Where[strings.Index(e.Where, ": ")+2:]
		if !fires[alert] {
			t.Errorf("%s: no test where it fires", e.Where)
		}
		if !quiet[alert] {
			t.Errorf("%s: no test where it stays quiet", e.Where)
		}
	}
}

// TestDashboardParses checks deploy/grafana/quizflow.json: valid JSON,
// every panel with a query, and PromQL that promtool's rule checker
// accepts (each query is wrapped in a recording rule).
func TestDashboardParses(t *testing.T) {
	exprs, err := opscheck.DashboardExprs(filepath.Join(repoDir(t), "deploy", "grafana", "quizflow.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 20 {
		t.Errorf("%d queries; the dashboard lost panels", len(exprs))
	}
	file := opscheck.WriteRecordingRules(t, exprs)
	out, err := exec.Command(promtool(t), "check", "rules", file).CombinedOutput()
	if err != nil {
		t.Fatalf("dashboard PromQL refused by promtool: %v\n%s", err, out)
	}
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{`sum(rate(quizflow_http_requests_total{status=~"5.."}[5m])) / sum(rate(quizflow_http_requests_total[5m])) > 0.05`,
			[]string{"quizflow_http_requests_total"}},
		{`histogram_quantile(0.95, sum by (le, type) (rate(quizflow_task_duration_seconds_bucket[$__rate_interval])))`,
			[]string{"quizflow_task_duration_seconds_bucket"}},
		{`time() - max(quizflow_backup_last_success_timestamp_seconds) > 26 * 3600`,
			[]string{"quizflow_backup_last_success_timestamp_seconds"}},
		{`a_total - b_total offset 30m > 0 and on(queue) c{x="by (y)"} or absent(d)`, []string{"a_total", "b_total", "c", "d"}},
		{`max by (dependency) (quizflow_dependency_up) == 0`, []string{"quizflow_dependency_up"}},
		{`1e3 * 2`, nil},
	} {
		if diff := cmp.Diff(tc.want, opscheck.MetricNames(tc.q)); diff != "" {
			t.Errorf("MetricNames(%q) (-want +got):\n%s", tc.q, diff)
		}
	}
}

func TestFamily(t *testing.T) {
	fams := map[string]string{"h_seconds": "histogram", "c_total": "counter", "s": "summary"}
	for name, want := range map[string]string{
		"h_seconds_bucket": "h_seconds", "h_seconds_count": "h_seconds", "c_total": "c_total",
		"c_total_bucket": "", "s_sum": "s", "s_bucket": "", "missing": "",
	} {
		if got := opscheck.Family(name, fams); got != want {
			t.Errorf("Family(%q) = %q, want %q", name, got, want)
		}
	}
	if !slices.Contains(opscheck.MetricNames("up == 0"), "up") {
		t.Error("up is a metric name")
	}
}
