package export_test

import (
	"fmt"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func ExampleRender() {
	quiz := &quizflow.Quiz{
		ID: "q1", Version: 1, Title: "Photosynthesis Quiz",
		Questions: []quizflow.Question{
			{ID: "a", Type: quizflow.MultipleChoice, Prompt: "Which gas do plants take in?",
				Options: []quizflow.Option{{Text: "Oxygen"}, {Text: "Carbon dioxide", Correct: true}}},
			{ID: "b", Type: quizflow.Essay, Prompt: "Describe the light reactions."},
		},
	}
	f, err := export.Render(quiz, "aiken", quizflow.ExportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Name)
	fmt.Print(string(f.Data))
	fmt.Println(f.Warnings)
	// Output:
	// photosynthesis-quiz.aiken.txt
	// Which gas do plants take in?
	// A. Oxygen
	// B. Carbon dioxide
	// ANSWER: B
	//
	// [question 2 (essay) left out: Aiken carries multiple choice only]
}
