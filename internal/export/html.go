package export

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// HTML: a standalone printable page (inline CSS, no scripts, no external
// resources) with the questions for students and, on a new printed page,
// an answer key with the explanations (with IncludeFeedback) and essay
// model answers. Text goes through html/template, so markup in the quiz
// shows literally; line breaks are kept with white-space: pre-wrap. The
// right-hand column of a matching question is always printed in a seeded
// shuffled order (in authored order it would give the answers away);
// ShuffleAnswers also reorders choices.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "html",
			Title:         "Printable page (HTML)",
			Extension:     ".html",
			ContentType:   "text/html; charset=utf-8",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "A standalone web page to print or share, with a separate answer key.",
		},
		noun:   "HTML",
		render: renderHTML,
	})
}

type htmlPage struct {
	Title     string
	Lang      string
	Questions []htmlQuestion
}

type htmlQuestion struct {
	N           int
	Type        string
	Points      string
	Prompt      string
	Before      string // fill_in_blank: prompt before the blank
	After       string
	Hint        string   // "Select all that apply." and the like
	Options     []string // choice types
	Lefts       []string // matching, in order
	Rights      []string // matching, lettered, shuffled
	Key         []string // answer-key lines
	Explanation string
}

func renderHTML(r *run) ([]byte, error) {
	page := htmlPage{Title: r.title, Lang: r.quiz.Language}
	if page.Lang == "" {
		page.Lang = "en"
	}
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		hq := htmlQuestion{N: it.N, Type: q.Type, Points: formatPoints(it.Points), Prompt: q.Prompt,
			Explanation: r.feedback(it)}
		switch q.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			var correct []string
			for j, o := range r.options(it, true) {
				hq.Options = append(hq.Options, o.Text)
				if o.Correct {
					correct = append(correct, letter(j)+". "+o.Text)
				}
			}
			hq.Key = correct
			if q.Type == quizflow.MultipleAnswer {
				hq.Hint = "Select all that apply."
			}
		case quizflow.TrueFalse:
			hq.Options = []string{"True", "False"}
			v, _ := truth(q)
			hq.Key = []string{"B. False"}
			if v {
				hq.Key = []string{"A. True"}
			}
		case quizflow.ShortAnswer:
			hq.Key = nonEmpty(q.Answers)
		case quizflow.FillInBlank:
			hq.Before, hq.After = splitBlank(q.Prompt)
			hq.Key = nonEmpty(q.Answers)
		case quizflow.Matching:
			perm := r.permutation(it, "matching", len(q.Pairs))
			pos := make([]int, len(q.Pairs)) // pair index -> letter position
			for j, k := range perm {
				hq.Rights = append(hq.Rights, q.Pairs[k].Right)
				pos[k] = j
			}
			for j, p := range q.Pairs {
				hq.Lefts = append(hq.Lefts, p.Left)
				hq.Key = append(hq.Key, p.Left+" → "+letter(pos[j])+". "+p.Right)
			}
		case quizflow.Essay:
			hq.Key = nonEmpty(q.Answers)
		}
		page.Questions = append(page.Questions, hq)
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, page); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var htmlTemplate = template.Must(template.New("quiz").Funcs(template.FuncMap{
	"letter": letter,
	"plus1":  func(i int) int { return i + 1 },
	"has":    func(s string) bool { return strings.TrimSpace(s) != "" },
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
body { font-family: Georgia, "Times New Roman", serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; }
.student { display: flex; gap: 2rem; margin-bottom: 1.5rem; }
.student span { flex: 1; border-bottom: 1px solid #000; }
.prompt, .option, .left, .right, .key-line, .explanation { white-space: pre-wrap; overflow-wrap: anywhere; }
ol.questions > li { margin-bottom: 1.5rem; break-inside: avoid; }
.points { color: #555; font-size: 0.9em; }
.hint { font-style: italic; }
.answer-line { border-bottom: 1px solid #000; height: 2rem; width: 60%; }
.essay-box { border: 1px solid #000; height: 12rem; }
table.matching td { vertical-align: top; padding: 0.2rem 1.5rem 0.2rem 0; }
.answer-key { break-before: page; page-break-before: always; }
.explanation { color: #333; }
</style>
</head>
<body>
<header>
<h1 class="title">{{.Title}}</h1>
<p class="student"><span>Name:</span><span>Date:</span></p>
</header>
<main>
<ol class="questions">
{{- range .Questions}}
<li class="question" value="{{.N}}" data-type="{{.Type}}">
{{- if .Before}}
<p class="prompt">{{.Before}}<span class="blank">_____</span>{{.After}}</p>
{{- else}}
<p class="prompt">{{.Prompt}}</p>
{{- end}}
<p class="points">({{.Points}} pt)</p>
{{- if .Hint}}
<p class="hint">{{.Hint}}</p>
{{- end}}
{{- if .Options}}
<ol class="options" type="A">
{{- range .Options}}
<li class="option">{{.}}</li>
{{- end}}
</ol>
{{- else if .Lefts}}
<table class="matching">
{{- range $i, $l := .Lefts}}
<tr><td class="slot">____</td><td class="left">{{plus1 $i}}. {{$l}}</td></tr>
{{- end}}
</table>
<ol class="rights" type="A">
{{- range .Rights}}
<li class="right">{{.}}</li>
{{- end}}
</ol>
{{- else if eq .Type "essay"}}
<div class="essay-box"></div>
{{- else}}
<div class="answer-line"></div>
{{- end}}
</li>
{{- end}}
</ol>
</main>
<section class="answer-key">
<h2>Answer key</h2>
<ol class="keys">
{{- range .Questions}}
<li class="key" value="{{.N}}">
{{- range .Key}}
<p class="key-line">{{.}}</p>
{{- end}}
{{- if has .Explanation}}
<p class="explanation">{{.Explanation}}</p>
{{- end}}
</li>
{{- end}}
</ol>
</section>
</body>
</html>
`))
