package usecase

import (
	"context"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// acceptedTypes are the kinds extract.Detect recognises.
var acceptedTypes = []quizflow.FileType{
	{Kind: quizflow.KindPDF, Extensions: []string{".pdf"}, ContentTypes: []string{extract.ContentTypePDF}},
	{Kind: quizflow.KindDOCX, Extensions: []string{".docx"}, ContentTypes: []string{extract.ContentTypeDOCX}},
	{Kind: quizflow.KindText, Extensions: []string{".txt"}, ContentTypes: []string{"text/plain"}},
	{Kind: quizflow.KindMarkdown, Extensions: []string{".md", ".markdown"}, ContentTypes: []string{"text/markdown"}},
}

// UploadLimits implements quizflow.LimitsService, with the same size
// bound ReceiveFile applies.
func (s *Documents) UploadLimits(ctx context.Context, user *quizflow.User) (*quizflow.UploadLimits, error) {
	plan, _, _, err := s.standing(ctx, user)
	if err != nil {
		return nil, err
	}
	limit := min(plan.MaxFileSize, s.Config.MaxFileSize)
	if limit <= 0 {
		limit = max(plan.MaxFileSize, s.Config.MaxFileSize)
	}
	return &quizflow.UploadLimits{Plan: plan.Name, MaxFileSize: limit, MaxPages: plan.MaxPages,
		MaxQuestions: plan.MaxQuestions, AcceptedTypes: acceptedTypes}, nil
}
