package jobs_test

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/jobs"
)

// Version skew during a rolling update: workers of release N run tasks
// enqueued by an API of release N+1, and the reverse. For every task type
// testdata/skew holds two payloads:
//
//   - <type>.previous.json: the payload as the previous shape wrote it
//     (taken from `git log -p -- jobs/jobs.go`: DocumentPayload before
//     max_pages, MaintenancePayload before trigger; the other payloads
//     have had one shape since they were added);
//   - <type>.newer.json: a payload of a later release, with fields this
//     release does not know.
//
// Both go through jobs.Decode, the whole decode path of every handler
// (internal/worker: no handler validates a payload past Decode), and must
// decode to the values below: fields missing from an older payload take
// their zero value, which must mean "as before" (max_pages 0: the
// worker's own bound; trigger "": scheduled).

// skewCase is one task type's expectations.
type skewCase struct {
	// newPayload returns a pointer to the payload struct its handler
	// decodes into.
	newPayload func() any
	// previous and newer are what the two fixtures decode to.
	previous, newer any
	// current is a task built by this release's constructor with every
	// field set, to check that it still carries every field the previous
	// shape had (so a worker of the previous release can run it).
	current func() (*asynq.Task, error)
}

var slot = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

func docPayload(maxPages int) jobs.DocumentPayload {
	return jobs.DocumentPayload{JobID: "job_1", DocumentID: "doc_1", OwnerID: "usr_1", RequestID: "req_1", MaxPages: maxPages}
}

var skewCases = map[string]skewCase{
	jobs.TypeDocumentExtract: {
		newPayload: func() any { return new(jobs.DocumentPayload) },
		previous:   docPayload(0), newer: docPayload(40),
		current: func() (*asynq.Task, error) { return jobs.NewExtractTask(docPayload(40)) },
	},
	jobs.TypeQuizGenerate: {
		newPayload: func() any { return new(jobs.DocumentPayload) },
		previous:   docPayload(0), newer: docPayload(40),
		current: func() (*asynq.Task, error) { return jobs.NewGenerateTask(docPayload(40)) },
	},
	jobs.TypeQuestionRegenerate: {
		newPayload: func() any { return new(jobs.RegeneratePayload) },
		previous:   regen, newer: regen,
		current: func() (*asynq.Task, error) { return jobs.NewRegenerateTask(regen) },
	},
	jobs.TypeQuizExport: {
		newPayload: func() any { return new(jobs.ExportPayload) },
		previous:   export, newer: export,
		current: func() (*asynq.Task, error) { return jobs.NewExportTask(export) },
	},
	jobs.TypeEmailSend: {
		newPayload: func() any { return new(jobs.EmailPayload) },
		previous:   email, newer: email,
		current: func() (*asynq.Task, error) { return jobs.NewEmailTask(email) },
	},
	jobs.TypeMaintenanceCleanup: {
		newPayload: func() any { return new(jobs.MaintenancePayload) },
		previous:   jobs.MaintenancePayload{Slot: slot},
		newer:      jobs.MaintenancePayload{Slot: slot, Trigger: "manual"},
		current:    func() (*asynq.Task, error) { return jobs.NewCleanupTask(slot) },
	},
	jobs.TypeMaintenanceReconcile: {
		newPayload: func() any { return new(jobs.MaintenancePayload) },
		previous:   jobs.MaintenancePayload{Slot: slot}, newer: jobs.MaintenancePayload{Slot: slot},
		current: func() (*asynq.Task, error) { return jobs.NewReconcileTask(slot) },
	},
	jobs.TypeMaintenanceBackup: {
		newPayload: func() any { return new(jobs.MaintenancePayload) },
		previous:   jobs.MaintenancePayload{Slot: slot},
		newer:      jobs.MaintenancePayload{Slot: slot, Trigger: "manual"},
		current:    func() (*asynq.Task, error) { return jobs.NewManualBackupTask(slot) },
	},
	jobs.TypeBillingEvent: {
		newPayload: func() any { return new(jobs.BillingEventPayload) },
		previous:   billing, newer: billing,
		current: func() (*asynq.Task, error) { return jobs.NewBillingEventTask(billing) },
	},
}

var (
	regen   = jobs.RegeneratePayload{JobID: "job_1", QuizID: "quiz_1", QuestionID: "q3", OwnerID: "usr_1", RequestID: "req_1"}
	export  = jobs.ExportPayload{JobID: "job_1", ExportID: "exp_1", OwnerID: "usr_1", RequestID: "req_1"}
	email   = jobs.EmailPayload{ID: "mail_1", Kind: "quiz_ready", UserID: "usr_1", To: "a@example.com", ForJob: "job_1", Data: map[string]string{"quiz_id": "quiz_1"}, RequestID: "req_1"}
	billing = jobs.BillingEventPayload{EventID: "evt_1", RequestID: "req_1"}
)

// fixture is the path of a type's fixture: "document:extract" and
// "previous" give testdata/skew/document_extract.previous.json.
func fixture(typ, which string) string {
	return filepath.Join("testdata", "skew", strings.ReplaceAll(typ, ":", "_")+"."+which+".json")
}

// typeConstants returns the values of the Type* constants of jobs.go, so a
// type added there without a skew case fails the test even if it was left
// out of jobs.Types.
func typeConstants(t *testing.T) []string {
	t.Helper()
	var types []string
	for _, v := range typeConstantNames(t) {
		types = append(types, v)
	}
	return types
}

// typeConstantNames maps each Type* constant of jobs.go to its value.
func typeConstantNames(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "jobs.go", nil, 0)
	if err != nil {
		t.Fatalf("parse jobs.go: %v", err)
	}
	types := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "Type") || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", name.Name, err)
			}
			types[name.Name] = v
		}
		return true
	})
	return types
}

func TestSkewCasesCoverEveryType(t *testing.T) {
	consts := typeConstants(t)
	if len(consts) == 0 {
		t.Fatal("found no Type* constants in jobs.go")
	}
	slices.Sort(consts)
	listed := slices.Sorted(slices.Values(jobs.Types))
	if diff := cmp.Diff(consts, listed); diff != "" {
		t.Errorf("jobs.Types differs from the Type* constants of jobs.go (-constants +Types):\n%s", diff)
	}
	for _, typ := range consts {
		if _, ok := skewCases[typ]; !ok {
			t.Errorf("task type %s has no version-skew case: add one to skewCases and its fixtures %s and %s",
				typ, fixture(typ, "previous"), fixture(typ, "newer"))
		}
	}
	for typ := range skewCases {
		if !slices.Contains(consts, typ) {
			t.Errorf("skew case for %s, which is not a task type", typ)
		}
	}
}

// TestSkewCasesMatchHandlers reads the worker's source: each task type is
// registered (mux.Handle(jobs.TypeX, &handler{...})) to a handler whose
// ProcessTask decodes the payload with jobs.Decode into the struct the
// skew case decodes into, so the cases test what the handlers run.
func TestSkewCasesMatchHandlers(t *testing.T) {
	consts := typeConstantNames(t)
	fset := token.NewFileSet()
	dir := filepath.Join("..", "internal", "worker")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	handlerOf := map[string]string{} // task type -> handler type name
	decodes := map[string]string{}   // handler type name -> payload type name
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				// mux.Handle(jobs.TypeX, &handler{...})
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Handle" || len(n.Args) != 2 {
					return true
				}
				typ, ok := n.Args[0].(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if u, ok := n.Args[1].(*ast.UnaryExpr); ok {
					if lit, ok := u.X.(*ast.CompositeLit); ok {
						if id, ok := lit.Type.(*ast.Ident); ok {
							handlerOf[consts[typ.Sel.Name]] = id.Name
						}
					}
				}
			case *ast.FuncDecl:
				if n.Name.Name != "ProcessTask" || n.Recv == nil || len(n.Recv.List) != 1 {
					return true
				}
				star, ok := n.Recv.List[0].Type.(*ast.StarExpr)
				if !ok {
					return true
				}
				recv, _ := star.X.(*ast.Ident)
				if recv == nil {
					return true
				}
				if payload := decodedPayload(n.Body); payload != "" {
					decodes[recv.Name] = payload
				}
				return false
			}
			return true
		})
	}
	for _, typ := range jobs.Types {
		c, ok := skewCases[typ]
		if !ok {
			continue
		}
		h, ok := handlerOf[typ]
		if !ok {
			t.Errorf("%s: no mux.Handle registration found in internal/worker", typ)
			continue
		}
		got, ok := decodes[h]
		if !ok {
			t.Errorf("%s: %s.ProcessTask does not declare `var p jobs.X` and call jobs.Decode(t, &p)", typ, h)
			continue
		}
		if want := reflect.TypeOf(c.newPayload()).Elem().Name(); got != want {
			t.Errorf("%s: %s decodes into jobs.%s, the skew case into jobs.%s", typ, h, got, want)
		}
	}
}

// decodedPayload returns X when body declares `var p jobs.X` and calls
// jobs.Decode(t, &p) on it.
func decodedPayload(body *ast.BlockStmt) string {
	vars := map[string]string{}
	var payload string
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			if sel, ok := n.Type.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "jobs" {
					for _, name := range n.Names {
						vars[name.Name] = sel.Sel.Name
					}
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Decode" || len(n.Args) != 2 {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "jobs" {
				return true
			}
			if u, ok := n.Args[1].(*ast.UnaryExpr); ok {
				if id, ok := u.X.(*ast.Ident); ok && payload == "" {
					payload = vars[id.Name]
				}
			}
		}
		return true
	})
	return payload
}

// TestPayloadSkew decodes each type's previous and newer payloads as its
// handler does.
func TestPayloadSkew(t *testing.T) {
	for _, typ := range jobs.Types {
		c, ok := skewCases[typ]
		if !ok {
			continue // reported by TestSkewCasesCoverEveryType
		}
		for _, which := range []string{"previous", "newer"} {
			t.Run(typ+"/"+which, func(t *testing.T) {
				raw, err := os.ReadFile(fixture(typ, which))
				if err != nil {
					t.Fatalf("fixture: %v", err)
				}
				if which == "newer" && !hasUnknownField(t, raw, c.newPayload()) {
					t.Fatalf("%s has no field unknown to this release: it does not test skew", fixture(typ, which))
				}
				got := c.newPayload()
				if err := jobs.Decode(asynq.NewTask(typ, raw), got); err != nil {
					t.Fatalf("decode: %v", err)
				}
				want := c.previous
				if which == "newer" {
					want = c.newer
				}
				if diff := cmp.Diff(want, reflect.ValueOf(got).Elem().Interface()); diff != "" {
					t.Errorf("decoded payload (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestCurrentTasksKeepPreviousFields: a task this release enqueues carries
// every field of the previous shape under the same name, so a worker of
// the previous release, still running during the rollout, finds them.
func TestCurrentTasksKeepPreviousFields(t *testing.T) {
	for _, typ := range jobs.Types {
		c, ok := skewCases[typ]
		if !ok {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			task, err := c.current()
			if err != nil {
				t.Fatalf("constructor: %v", err)
			}
			if task.Type() != typ {
				t.Fatalf("constructor made a %s task", task.Type())
			}
			var cur, prev map[string]any
			if err := json.Unmarshal(task.Payload(), &cur); err != nil {
				t.Fatalf("current payload: %v", err)
			}
			raw, err := os.ReadFile(fixture(typ, "previous"))
			if err != nil {
				t.Fatalf("fixture: %v", err)
			}
			if err := json.Unmarshal(raw, &prev); err != nil {
				t.Fatalf("previous fixture: %v", err)
			}
			for k := range prev {
				if _, ok := cur[k]; !ok {
					t.Errorf("field %q of the previous shape is missing from the payload this release writes (%s)", k, task.Payload())
				}
			}
		})
	}
}

// TestDecodeRejectsGarbage: a payload that is not JSON of the right shape
// is not retried.
func TestDecodeRejectsGarbage(t *testing.T) {
	for _, raw := range []string{`not json`, `{"job_id": 7}`, `{"slot": "yesterday"}`} {
		var p struct {
			JobID string    `json:"job_id"`
			Slot  time.Time `json:"slot"`
		}
		err := jobs.Decode(asynq.NewTask(jobs.TypeDocumentExtract, []byte(raw)), &p)
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("Decode(%s) = %v, want an error wrapping asynq.SkipRetry", raw, err)
		}
	}
}

// hasUnknownField reports whether raw has a top-level key that v's JSON
// tags do not name.
func hasUnknownField(t *testing.T, raw []byte, v any) bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	known := map[string]bool{}
	rt := reflect.TypeOf(v).Elem()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		known[name] = true
	}
	for k := range m {
		if !known[k] {
			return true
		}
	}
	return false
}
