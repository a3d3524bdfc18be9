package extract_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Decide the kind from the first bytes, then read the pages within limits.
func Example() {
	data, err := os.ReadFile("testdata/libreoffice-handbook-10p.pdf")
	if err != nil {
		panic(err)
	}
	kind, contentType, err := extract.Detect(data[:min(len(data), extract.HeadSize)])
	if err != nil {
		fmt.Println(quizflow.ErrorCode(err), quizflow.ErrorMessage(err))
		return
	}
	fmt.Println(kind, contentType)

	pages, err := extract.Extract(context.Background(), bytes.NewReader(data), int64(len(data)), kind,
		extract.Limits{MaxPages: 100, Timeout: 30 * time.Second})
	if err != nil {
		fmt.Println(quizflow.ErrorCode(err), quizflow.ErrorMessage(err))
		return
	}
	fmt.Println(len(pages), "pages")
	fmt.Println(strings.SplitN(pages[0].Text, "\n", 2)[0])
	// Output:
	// pdf application/pdf
	// 11 pages
	// Photosynthesis
}

// Bad input yields a message for the person who uploaded it.
func ExampleDetect_unsupported() {
	_, _, err := extract.Detect([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	fmt.Println(quizflow.ErrorCode(err))
	fmt.Println(quizflow.ErrorMessage(err))
	// Output:
	// unsupported_media_type
	// This file is not a PDF, Word (.docx), text or Markdown document.
}
