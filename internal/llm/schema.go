package llm

import (
	"encoding/json"
	"slices"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Schema names, which also tell the fake server which call it serves.
const (
	QuestionsSchemaName = "quiz_questions"
	AnswersSchemaName   = "answer_check"
)

// BloomLevels are the cognitive levels of Bloom's revised taxonomy, as the
// model is asked to label questions.
var BloomLevels = []string{"remember", "understand", "apply", "analyze", "evaluate", "create"}

// optionLetters label options in the answer-check prompt.
const optionLetters = "ABCDEFGHIJ"

// The schemas are written by hand because OpenAI's strict mode needs every
// property listed in "required" and "additionalProperties": false at every
// level, which jsonschema.GenerateSchemaForType does not give for
// omitempty fields. Fields a question type does not use are empty arrays
// or strings rather than absent.

func str() map[string]any { return map[string]any{"type": "string"} }

func arr(items any) map[string]any { return map[string]any{"type": "array", "items": items} }

func enum(vals []string) map[string]any { return map[string]any{"type": "string", "enum": vals} }

func object(props map[string]any) map[string]any {
	req := make([]string, 0, len(props))
	for k := range props {
		req = append(req, k)
	}
	slices.Sort(req)
	return map[string]any{
		"type":                 "object",
		"properties":           props,
		"required":             req,
		"additionalProperties": false,
	}
}

// questionsSchema is the strict schema of a question batch whose type is
// one of types (all types when empty).
func questionsSchema(types []string) json.RawMessage {
	if len(types) == 0 {
		types = quizflow.QuestionTypes
	}
	q := object(map[string]any{
		"type":   enum(types),
		"prompt": str(),
		"options": arr(object(map[string]any{
			"text":    str(),
			"correct": map[string]any{"type": "boolean"},
		})),
		"answers": arr(str()),
		"pairs": arr(object(map[string]any{
			"left":  str(),
			"right": str(),
		})),
		"explanation":  str(),
		"source_page":  map[string]any{"type": "integer"},
		"source_quote": str(),
		"difficulty":   enum([]string{quizflow.DifficultyEasy, quizflow.DifficultyMedium, quizflow.DifficultyHard}),
		"bloom_level":  enum(BloomLevels),
	})
	return mustJSON(object(map[string]any{"questions": arr(q)}))
}

// answersSchema is the strict schema of an answer-check reply.
func answersSchema() json.RawMessage {
	letters := make([]string, len(optionLetters))
	for i := range optionLetters {
		letters[i] = optionLetters[i : i+1]
	}
	a := object(map[string]any{
		"n":        map[string]any{"type": "integer"},
		"selected": arr(enum(letters)),
	})
	return mustJSON(object(map[string]any{"answers": arr(a)}))
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// wireQuestion is one question as the schema shapes it.
type wireQuestion struct {
	Type    string `json:"type"`
	Prompt  string `json:"prompt"`
	Options []struct {
		Text    string `json:"text"`
		Correct bool   `json:"correct"`
	} `json:"options"`
	Answers     []string        `json:"answers"`
	Pairs       []quizflow.Pair `json:"pairs"`
	Explanation string          `json:"explanation"`
	SourcePage  int             `json:"source_page"`
	SourceQuote string          `json:"source_quote"`
	Difficulty  string          `json:"difficulty"`
	BloomLevel  string          `json:"bloom_level"`
}

type wireQuestions struct {
	Questions *[]wireQuestion `json:"questions"`
}

type wireAnswers struct {
	Answers *[]struct {
		N        int      `json:"n"`
		Selected []string `json:"selected"`
	} `json:"answers"`
}

// toQuestion converts a wire question to the domain type. Option IDs are
// letters in the order given; the pipeline shuffles later.
func (w wireQuestion) toQuestion() quizflow.Question {
	q := quizflow.Question{
		Type:        w.Type,
		Prompt:      w.Prompt,
		Answers:     w.Answers,
		Pairs:       w.Pairs,
		Explanation: w.Explanation,
		Source:      quizflow.Source{Page: w.SourcePage, Quote: w.SourceQuote},
		Difficulty:  w.Difficulty,
		BloomLevel:  w.BloomLevel,
	}
	for i, o := range w.Options {
		id := string(rune('a' + i))
		q.Options = append(q.Options, quizflow.Option{ID: id, Text: o.Text, Correct: o.Correct})
	}
	switch w.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
	default:
		// A model that fills options for a type without them gets them
		// ignored rather than the question rejected.
		q.Options = nil
	}
	if w.Type != quizflow.Matching {
		q.Pairs = nil
	}
	if q.Answers == nil {
		q.Answers = []string{}
	}
	return q
}
