// Package export renders a quiz into the files that learning-management
// systems and classroom apps import: QTI 1.2 for Canvas, QTI 2.1 content
// packages, Moodle XML, GIFT, Aiken, Blackboard's tab-delimited upload,
// Brightspace's question CSV, Kahoot's and Quizizz's spreadsheets, CSV and
// a printable HTML page.
//
// Rendering is pure: Render takes a quiz and returns bytes, with no I/O, so
// the quiz:export job and the API can call it and store the result where
// they like. Output is deterministic for a given quiz, format and options
// (fixed zip timestamps, stable identifiers, seeded shuffles), so re-renders
// of one quiz version are byte-identical.
//
// A question a format cannot carry is left out and named in File.Warnings;
// nothing is dropped or changed silently. See IMPORTING.md for how each file
// is imported into its LMS.
package export

import (
	"fmt"
	"sort"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Format describes one export format.
type Format struct {
	Name        string `json:"name"`         // identifier passed to Render, e.g. "qti12-canvas"
	Title       string `json:"title"`        // for people, e.g. "Canvas (QTI 1.2)"
	Extension   string `json:"extension"`    // of the file, with the dot: ".zip"
	ContentType string `json:"content_type"` // MIME type of the file
	// QuestionTypes lists the quizflow question types the format carries;
	// questions of other types are left out with a warning.
	QuestionTypes []string `json:"question_types"`
	Description   string   `json:"description"`
}

// File is a rendered export.
type File struct {
	// Name is a safe ASCII file name made from the quiz title, e.g.
	// "photosynthesis-quiz.zip".
	Name        string
	ContentType string
	Data        []byte
	// Warnings name the questions left out (and why) and any text that had
	// to be changed to fit the format, for showing to the user.
	Warnings []string
}

// renderer writes one format. It gets a prepared quiz (text cleaned, the
// questions it cannot carry already removed) and adds its own warnings.
type renderer func(r *run) ([]byte, error)

type formatDef struct {
	Format
	render renderer
	// noun names the format in messages ("Aiken").
	noun string
	// suffix goes between the title and the extension in file names, to
	// tell apart files of formats that share an extension ("-canvas").
	suffix string
	// carries reports why a question cannot be carried, or "" if it can.
	carries func(q *quizflow.Question) string
}

var registry = map[string]*formatDef{}

func register(d *formatDef) {
	if d.carries == nil {
		d.carries = func(*quizflow.Question) string { return "" }
	}
	registry[d.Name] = d
}

// Formats lists the export formats, sorted by name (for GET
// /v1/export-formats).
func Formats() []Format {
	out := make([]Format, 0, len(registry))
	for _, d := range registry {
		f := d.Format
		f.QuestionTypes = append([]string(nil), f.QuestionTypes...)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	d, ok := registry[name]
	if !ok {
		return Format{}, false
	}
	f := d.Format
	f.QuestionTypes = append([]string(nil), f.QuestionTypes...)
	return f, true
}

// Render renders q in the named format with opts (see
// quizflow.ExportOptions; the zero value is usable, and a
// PointsPerQuestion of zero or less means 1).
//
// It returns a *quizflow.Error with code EINVALID when the format is
// unknown, when q is nil, or when the format can carry none of the quiz's
// questions. Questions the format cannot carry are left out and named in
// File.Warnings.
func Render(q *quizflow.Quiz, format string, opts quizflow.ExportOptions) (*File, error) {
	d, ok := registry[format]
	if !ok {
		return nil, &quizflow.Error{Code: quizflow.EINVALID, Field: "format",
			Message: fmt.Sprintf("unknown export format %q; known formats: %s", format, FormatNames())}
	}
	if q == nil {
		return nil, quizflow.Errorf(quizflow.EINVALID, "no quiz to export")
	}
	if opts.PointsPerQuestion <= 0 {
		opts.PointsPerQuestion = 1
	}
	r := &run{quiz: q, opts: opts, def: d}
	r.prepare()
	if len(r.items) == 0 {
		return nil, quizflow.Errorf(quizflow.EINVALID, "this quiz has no questions that %s can carry", d.noun)
	}
	data, err := d.render(r)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", format, err)
	}
	return &File{
		Name:        fileName(q.Title, d.suffix+d.Extension),
		ContentType: d.ContentType,
		Data:        data,
		Warnings:    r.messages(),
	}, nil
}

// FormatNames lists the format names, comma-separated, for messages.
func FormatNames() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// run is the state of one Render call.
type run struct {
	quiz     *quizflow.Quiz
	opts     quizflow.ExportOptions
	def      *formatDef
	title    string // cleaned quiz title
	items    []item // the questions to write, in quiz order
	warnings []warning
}

// warning is one message for the user, about question n (0: the quiz).
type warning struct {
	n   int
	msg string
}

// item is one question to write, with its text cleaned for output.
type item struct {
	N      int // 1-based position in the quiz, as people count
	Q      quizflow.Question
	Points float64
}

// warnf notes something the user should know about question n (0 for the
// whole quiz). Warnings are reported in question order.
func (r *run) warnf(n int, format string, args ...any) {
	r.warnings = append(r.warnings, warning{n, fmt.Sprintf(format, args...)})
}

// messages returns the warnings in question order, quiz-wide ones first.
func (r *run) messages() []string {
	sort.SliceStable(r.warnings, func(i, j int) bool { return r.warnings[i].n < r.warnings[j].n })
	var out []string
	seen := map[string]bool{}
	for _, w := range r.warnings {
		if !seen[w.msg] {
			seen[w.msg] = true
			out = append(out, w.msg)
		}
	}
	return out
}

// prepare cleans text, checks each question and keeps those the format can
// carry.
func (r *run) prepare() {
	var removed int
	r.title, removed = cleanText(r.quiz.Title)
	if removed > 0 {
		r.warnf(0, "title: removed %d control character(s) that cannot be exported", removed)
	}
	if strings.TrimSpace(r.title) == "" {
		r.title = "Quiz"
	}
	for i := range r.quiz.Questions {
		n := i + 1
		q, removed := cleanQuestion(r.quiz.Questions[i])
		if removed > 0 {
			r.warnf(n, "question %d: removed %d control character(s) that cannot be exported", n, removed)
		}
		if why := checkQuestion(&q); why != "" {
			r.warnf(n, "question %d (%s) left out: %s", n, q.Type, why)
			continue
		}
		if why := r.def.carries(&q); why != "" {
			r.warnf(n, "question %d (%s) left out: %s", n, q.Type, why)
			continue
		}
		pts := q.Points
		if pts <= 0 {
			pts = r.opts.PointsPerQuestion
		}
		r.items = append(r.items, item{N: n, Q: q, Points: pts})
	}
}

// feedback returns the explanation to write as feedback, or "".
func (r *run) feedback(it *item) string {
	if !r.opts.IncludeFeedback {
		return ""
	}
	return strings.TrimSpace(it.Q.Explanation)
}

// warnNoFeedback adds one warning when explanations were asked for but the
// format has nowhere to put them.
func (r *run) warnNoFeedback() {
	if !r.opts.IncludeFeedback {
		return
	}
	for _, it := range r.items {
		if strings.TrimSpace(it.Q.Explanation) != "" {
			r.warnf(0, "explanations left out: %s has no feedback field", r.def.noun)
			return
		}
	}
}

// warnPoints notes a score other than 1 that the format cannot hold (the
// LMS will give the question its default of 1 point).
func (r *run) warnPoints(it *item) {
	if it.Points != 1 {
		r.warnf(it.N, "question %d: its %s points are not in the file: %s has no points field, set them in the LMS",
			it.N, formatPoints(it.Points), r.def.noun)
	}
}
