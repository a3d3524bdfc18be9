package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Backup holds the backup families: when the last backup succeeded, how
// long the last one took and how large its archive was. The alert rule in
// deploy/prometheus fires when the first is more than 26 hours old.
type Backup struct {
	lastSuccess prometheus.Gauge
	duration    prometheus.Gauge
	bytes       prometheus.Gauge
}

// NewBackup registers the backup families on r (once per registry) and
// returns them; a nil r gives a Backup that records nothing.
func NewBackup(r *Registry) *Backup {
	if r == nil {
		return nil
	}
	b := &Backup{
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "backup_last_success_timestamp_seconds",
			Help: "Unix time at which the newest successful (verified) backup ended; 0 until this process has seen one.",
		}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "backup_duration_seconds",
			Help: "Wall time of the last backup this process ran (archive, verification, file copies), whatever its outcome.",
		}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "backup_bytes",
			Help: "Size in bytes of the newest successful backup's archive (gzip) as stored.",
		}),
	}
	r.reg.MustRegister(b.lastSuccess, b.duration, b.bytes)
	return b
}

// BackupSucceeded records a successful backup that ended at end.
func (b *Backup) BackupSucceeded(end time.Time, d time.Duration, archiveBytes int64) {
	if b == nil {
		return
	}
	b.lastSuccess.Set(float64(end.UnixNano()) / 1e9)
	b.duration.Set(d.Seconds())
	b.bytes.Set(float64(archiveBytes))
}

// BackupFailed records a backup that failed after d.
func (b *Backup) BackupFailed(d time.Duration) {
	if b == nil {
		return
	}
	b.duration.Set(d.Seconds())
}

// LastSuccess sets the last success from a manifest read at start, so a
// restarted worker does not report 0 (and trip the alert).
func (b *Backup) LastSuccess(end time.Time, archiveBytes int64) {
	if b == nil {
		return
	}
	b.lastSuccess.Set(float64(end.UnixNano()) / 1e9)
	b.bytes.Set(float64(archiveBytes))
}
