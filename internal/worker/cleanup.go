package worker

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/jobs"
)

// cleanupHandler removes expired records (refresh tokens past their expiry).
type cleanupHandler struct{ d Deps }

func (h *cleanupHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.MaintenancePayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	n, err := h.d.Store.DeleteExpiredRefreshTokens(ctx, p.Slot)
	if err != nil {
		return err
	}
	h.d.Log.Info().Int64("refresh_tokens", n).Time("slot", p.Slot).Msg("cleanup done")
	return nil
}
