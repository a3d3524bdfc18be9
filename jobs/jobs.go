// Package jobs is the queue contract between the API, the scheduler and the
// workers: task type names, queue names, payloads and constructors.
//
// Every task that belongs to a job carries a task ID derived from that job
// (asynq.TaskID), so a retry or a second enqueue never duplicates work.
package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task type names.
const (
	TypeDocumentExtract      = "document:extract"
	TypeQuizGenerate         = "quiz:generate"
	TypeQuestionRegenerate   = "quiz:regenerate_question"
	TypeQuizExport           = "quiz:export"
	TypeEmailSend            = "email:send"
	TypeMaintenanceCleanup   = "maintenance:cleanup"
	TypeMaintenanceReconcile = "maintenance:reconcile"
	TypeMaintenanceBackup    = "maintenance:backup"
	TypeBillingEvent         = "billing:event"
)

// Types lists every task type, so that metrics can bound their labels.
var Types = []string{
	TypeDocumentExtract, TypeQuizGenerate, TypeQuestionRegenerate, TypeQuizExport,
	TypeEmailSend, TypeMaintenanceCleanup, TypeMaintenanceReconcile, TypeMaintenanceBackup,
	TypeBillingEvent,
}

// Queue names.
const (
	QueueExtract     = "extract"
	QueueGenerate    = "generate"
	QueueExport      = "export"
	QueueEmail       = "email"
	QueueMaintenance = "maintenance"
	QueueBilling     = "billing"
)

// Queues are the queues a worker serves with their priority weights:
// interactive stages first, maintenance last.
var Queues = map[string]int{
	QueueExtract:     4,
	QueueGenerate:    3,
	QueueExport:      3,
	QueueEmail:       2,
	QueueMaintenance: 1,
	QueueBilling:     2,
}

// DocumentPayload is the payload of document:extract and quiz:generate: the
// job that tracks the work and the document it works on.
type DocumentPayload struct {
	JobID      string `json:"job_id"`
	DocumentID string `json:"document_id"`
	OwnerID    string `json:"owner_id"`
	RequestID  string `json:"request_id,omitempty"`
	// MaxPages is the pages the owner's plan reads of one document (0:
	// the worker's own bound).
	MaxPages int `json:"max_pages,omitempty"`
}

// RegeneratePayload asks for one question of a quiz to be replaced.
type RegeneratePayload struct {
	JobID      string `json:"job_id"`
	QuizID     string `json:"quiz_id"`
	QuestionID string `json:"question_id"`
	OwnerID    string `json:"owner_id"`
	RequestID  string `json:"request_id,omitempty"`
}

// ExportPayload asks for a quiz to be rendered into a format.
type ExportPayload struct {
	JobID     string `json:"job_id"`
	ExportID  string `json:"export_id"`
	OwnerID   string `json:"owner_id"`
	RequestID string `json:"request_id,omitempty"`
}

// EmailPayload asks for one message to be sent (quizflow.Mail). ID, the
// message's cause, is also the task ID, so a second enqueue is refused;
// the worker records each ID it sent, so a redelivery sends nothing.
type EmailPayload struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	UserID string `json:"user_id"`
	To     string `json:"to,omitempty"`
	// ForJob is the job a job notification is about (not "job_id": the
	// mail's failure must not touch the job).
	ForJob    string            `json:"for_job,omitempty"`
	Data      map[string]string `json:"data,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// MaintenancePayload carries the time slot a scheduled task belongs to.
type MaintenancePayload struct {
	Slot time.Time `json:"slot"`
	// Trigger is "manual" for a backup asked for by an operator, ""
	// (scheduled) otherwise.
	Trigger string `json:"trigger,omitempty"`
}

// Default time bounds of each task type. A handler that exceeds its timeout
// has its context cancelled and the task is retried.
const (
	ExtractTimeout  = 3 * time.Minute
	GenerateTimeout = 15 * time.Minute
	ExportTimeout   = 5 * time.Minute
	MaxRetry        = 5
	EmailTimeout    = time.Minute
	// EmailMaxRetry is the retries of a message the SMTP server put off
	// (4xx) or could not be reached: with the backoff from 2 s doubling
	// to 5 minutes, about half an hour in all.
	EmailMaxRetry = 10
	// EmailRetention keeps a sent message's task, so its ID refuses a
	// second enqueue for a day (the worker's record refuses it for good).
	EmailRetention = 24 * time.Hour
)

// NewExtractTask returns the document:extract task of job p.JobID.
func NewExtractTask(p DocumentPayload) (*asynq.Task, error) {
	return newTask(TypeDocumentExtract, p, "extract:"+p.JobID, QueueExtract, ExtractTimeout)
}

// NewGenerateTask returns the quiz:generate task of job p.JobID.
func NewGenerateTask(p DocumentPayload) (*asynq.Task, error) {
	return newTask(TypeQuizGenerate, p, "generate:"+p.JobID, QueueGenerate, GenerateTimeout)
}

// NewRegenerateTask returns the question regeneration task of job p.JobID.
func NewRegenerateTask(p RegeneratePayload) (*asynq.Task, error) {
	return newTask(TypeQuestionRegenerate, p, "regenerate:"+p.JobID, QueueGenerate, GenerateTimeout)
}

// NewExportTask returns the quiz:export task of job p.JobID.
func NewExportTask(p ExportPayload) (*asynq.Task, error) {
	return newTask(TypeQuizExport, p, "export:"+p.JobID, QueueExport, ExportTimeout)
}

// NewEmailTask returns the email:send task of message p.ID.
func NewEmailTask(p EmailPayload) (*asynq.Task, error) {
	return newTask(TypeEmailSend, p, p.ID, QueueEmail, EmailTimeout,
		asynq.MaxRetry(EmailMaxRetry), asynq.Retention(EmailRetention))
}

// NewCleanupTask returns the cleanup task of one time slot. Its ID is
// derived from the slot, so two schedulers enqueue it once.
func NewCleanupTask(slot time.Time) (*asynq.Task, error) {
	id := "cleanup:" + slot.UTC().Format(time.RFC3339)
	return newTask(TypeMaintenanceCleanup, MaintenancePayload{Slot: slot.UTC()}, id, QueueMaintenance, 30*time.Minute,
		asynq.Retention(24*time.Hour))
}

// NewReconcileTask returns the reconcile task of one time slot (every
// minute by default), whose ID derives from the slot. It is short-lived
// and kept an hour, so a slot is enqueued once however many schedulers
// run.
func NewReconcileTask(slot time.Time) (*asynq.Task, error) {
	id := "reconcile:" + slot.UTC().Format(time.RFC3339)
	return newTask(TypeMaintenanceReconcile, MaintenancePayload{Slot: slot.UTC()}, id, QueueMaintenance, time.Minute,
		asynq.Retention(time.Hour), asynq.MaxRetry(0))
}

// Bounds of a backup task: it streams the whole database, so it may run
// long; a failed one is retried a few times, then archived with its
// reason (the Asynq UI shows it) for the operators.
const (
	BackupTimeout  = 2 * time.Hour
	BackupMaxRetry = 3
)

// NewBackupTask returns the backup task of one time slot (BACKUP_CRON),
// whose ID derives from the slot, so two schedulers enqueue it once.
func NewBackupTask(slot time.Time) (*asynq.Task, error) {
	id := "backup:" + slot.UTC().Format(time.RFC3339)
	return newTask(TypeMaintenanceBackup, MaintenancePayload{Slot: slot.UTC()}, id, QueueMaintenance, BackupTimeout,
		asynq.Retention(48*time.Hour), asynq.MaxRetry(BackupMaxRetry))
}

// NewManualBackupTask returns a backup asked for at now by an operator;
// its ID derives from the second, so a double click enqueues one.
func NewManualBackupTask(now time.Time) (*asynq.Task, error) {
	slot := now.UTC().Truncate(time.Second)
	return newTask(TypeMaintenanceBackup, MaintenancePayload{Slot: slot, Trigger: "manual"}, ManualBackupTaskID(now), QueueMaintenance, BackupTimeout,
		asynq.Retention(48*time.Hour), asynq.MaxRetry(BackupMaxRetry))
}

// ManualBackupTaskID is the task ID of NewManualBackupTask(now).
func ManualBackupTaskID(now time.Time) string {
	return "backup:manual:" + now.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func newTask(typ string, payload any, id, queue string, timeout time.Duration, extra ...asynq.Option) (*asynq.Task, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	opts := append([]asynq.Option{
		asynq.TaskID(id),
		asynq.Queue(queue),
		asynq.MaxRetry(MaxRetry),
		asynq.Timeout(timeout),
	}, extra...)
	// An empty header map, so Client.Enqueue can add the trace context
	// (asynq v0.26 carries headers; a worker that reads none ignores them).
	return asynq.NewTaskWithHeaders(typ, b, map[string]string{}, opts...), nil
}

// Decode decodes a task payload into v. A payload that cannot be decoded
// wraps asynq.SkipRetry: retrying it can never help.
func Decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

// BillingEventPayload names a stored Stripe webhook event to apply.
type BillingEventPayload struct {
	EventID   string `json:"event_id"`
	RequestID string `json:"request_id,omitempty"`
}

// NewBillingEventTask applies a verified Stripe event; its task ID is the
// event's, so a webhook delivered twice is applied once.
func NewBillingEventTask(p BillingEventPayload) (*asynq.Task, error) {
	return newTask(TypeBillingEvent, p, "billing:"+p.EventID, QueueBilling, time.Minute,
		asynq.Retention(24*time.Hour))
}
