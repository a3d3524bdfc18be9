package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Operators' backup routes (POST and GET /v1/admin/backups). Only a user
// with the stored operator flag (`quizflow admin grant EMAIL`) signed in
// with a session may use them: requireOperator refuses everyone else, and
// the BackupService checks the flag again.

// backupStartResponse answers POST /v1/admin/backups.
type backupStartResponse struct {
	Backup *quizflow.BackupStart `json:"backup"`
}

// backupListResponse answers GET /v1/admin/backups.
type backupListResponse struct {
	Backups []quizflow.Backup `json:"backups"`
}

// requireOperator lets through the sessions of operators only. It runs
// after requireUser. API keys are refused, as by the queue UI: a key is
// scoped to its owner's quizzes, never to operating the service.
func (s *Server) requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := currentPrincipal(c)
		if p.APIKeyID != "" {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "API keys cannot manage backups; sign in as an operator.")
		}
		if p.User == nil || !p.User.Admin {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "Only operators can manage backups.")
		}
		if s.Backups == nil {
			return quizflow.Errorf(quizflow.EUNAVAILABLE, "Backups are not configured on this API.")
		}
		return next(c)
	}
}

// startBackup enqueues a backup now: 202 with its ID (the time slot) and
// task ID. A second request within the same second names the same backup.
func (s *Server) startBackup(c echo.Context) error {
	st, err := s.Backups.StartBackup(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, backupStartResponse{Backup: st})
}

// listBackups lists every backup with a manifest, newest first.
func (s *Server) listBackups(c echo.Context) error {
	list, err := s.Backups.Backups(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	if list == nil {
		list = []quizflow.Backup{}
	}
	return c.JSON(http.StatusOK, backupListResponse{Backups: list})
}
