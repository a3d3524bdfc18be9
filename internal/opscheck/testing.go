package opscheck

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestedAlerts reads promtool rule test files and returns, by alert name,
// whether some test expects it to fire (exp_alerts with entries) and
// whether some test expects it quiet (exp_alerts: []).
func TestedAlerts(t testing.TB, files []string) (fires, quiet map[string]bool) {
	t.Helper()
	fires, quiet = map[string]bool{}, map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string           `yaml:"alertname"`
					ExpAlerts []map[string]any `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, tc := range doc.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					quiet[a.Alertname] = true
				}
			}
		}
	}
	return fires, quiet
}

// WriteRecordingRules writes exprs as recording rules into a file in a
// test's temporary directory, for promtool to check their syntax, and
// returns its path. Grafana's $variables are replaced by values.
func WriteRecordingRules(t testing.TB, exprs []Expr) string {
	t.Helper()
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, e := range exprs {
		rules = append(rules, rule{Record: "dashboard:q" + strconv.Itoa(i), Expr: grafanaVar.ReplaceAllStringFunc(e.Query, grafanaValue)})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// grafanaValue is a value standing for a Grafana variable: a range for
// the interval variables, a regular expression for the others (they are
// used in =~ matchers).
func grafanaValue(v string) string {
	switch v {
	case "$__rate_interval", "${__rate_interval}", "$__interval", "${__interval}", "$__range", "${__range}":
		return "5m"
	}
	return ".*"
}
