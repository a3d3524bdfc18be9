// Package opscheck reads the operations files under deploy/ (Prometheus
// alert rules, the Grafana dashboard) so tests can check them: that
// promtool accepts the rules and their unit tests pass, and that every
// metric an alert or a panel names is one the program exports.
package opscheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Expr is one PromQL expression and where it is written.
type Expr struct {
	Where string // file and alert or panel title
	Query string
}

// ruleFile is the part of a Prometheus rule file read here.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// RuleExprs returns the expression of every rule in the rule files
// (*.yml, *.yaml) directly in dir.
func RuleExprs(dir string) ([]Expr, error) {
	files, err := ruleFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Expr
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		var rf ruleFile
		if err := yaml.Unmarshal(b, &rf); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				out = append(out, Expr{Where: filepath.Base(f) + ": " + r.Alert + r.Record, Query: r.Expr})
			}
		}
	}
	return out, nil
}

// ruleFiles lists the rule files directly in dir, sorted.
func ruleFiles(dir string) ([]string, error) {
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, fmt.Errorf("list rules: %w", err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no rule files in %s", dir)
	}
	slices.Sort(files)
	return files, nil
}

// RuleFiles is ruleFiles, for the promtool commands.
func RuleFiles(dir string) ([]string, error) { return ruleFiles(dir) }

// dashboard is the part of a Grafana dashboard read here: panels (also
// nested in rows) and their targets.
type dashboard struct {
	Title  string  `json:"title"`
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// DashboardExprs parses the Grafana dashboard at path (strictly: a
// malformed file is an error) and returns every panel's queries. A panel
// other than a row without a query is an error.
func DashboardExprs(path string) ([]Expr, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dashboard: %w", err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		return nil, fmt.Errorf("%s: a dashboard needs a title, a uid and panels", path)
	}
	var out []Expr
	var walk func([]panel) error
	walk = func(ps []panel) error {
		for _, p := range ps {
			if p.Type == "row" {
				if err := walk(p.Panels); err != nil {
					return err
				}
				continue
			}
			if len(p.Targets) == 0 {
				return fmt.Errorf("%s: panel %q has no query", path, p.Title)
			}
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) == "" {
					return fmt.Errorf("%s: panel %q has an empty query", path, p.Title)
				}
				out = append(out, Expr{Where: filepath.Base(path) + ": " + p.Title, Query: t.Expr})
			}
		}
		return nil
	}
	return out, walk(d.Panels)
}

var (
	// Grafana's variables ($__rate_interval, $queue) are not PromQL.
	grafanaVar = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	matchers   = regexp.MustCompile(`\{[^{}]*\}`)
	ranges     = regexp.MustCompile(`\[[^\[\]]*\]`)
	// Label lists of grouping and vector-matching modifiers.
	labelLists = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	ident      = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
)

// keywords are PromQL words that are not metric names.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true,
	"without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true, "atan2": true, "start": true, "end": true,
}

// MetricNames returns the metric names a PromQL expression selects (not
// functions, keywords, label names or durations), sorted and unique.
// It is a scanner, not a parser, good for the expressions of this
// repository: label matchers, ranges, strings and grouping lists are
// removed, and what remains that is an identifier not followed by "(" is
// a metric name.
func MetricNames(q string) []string {
	q = grafanaVar.ReplaceAllString(q, "5m")
	q = quoted.ReplaceAllString(q, `""`)
	q = matchers.ReplaceAllString(q, " ")
	q = ranges.ReplaceAllString(q, " ")
	q = labelLists.ReplaceAllString(q, " ")
	var names []string
	for _, loc := range ident.FindAllStringIndex(q, -1) {
		w := q[loc[0]:loc[1]]
		if keywords[strings.ToLower(w)] {
			continue
		}
		if loc[0] > 0 && (isNumberPart(q[loc[0]-1])) {
			continue // 26h, 1e9, 0x1f
		}
		rest := strings.TrimLeft(q[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		names = append(names, w)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func isNumberPart(c byte) bool { return c >= '0' && c <= '9' || c == '.' }

// Family returns the metric family a series name belongs to among
// families: the name itself, or a histogram's or summary's family for
// its _bucket, _sum and _count series. It returns "" when none matches.
func Family(name string, families map[string]string) string {
	if _, ok := families[name]; ok {
		return name
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suf)
		if !ok {
			continue
		}
		switch families[base] {
		case "histogram", "summary", "gaugehistogram":
			if suf != "_bucket" || families[base] != "summary" {
				return base
			}
		}
	}
	return ""
}
