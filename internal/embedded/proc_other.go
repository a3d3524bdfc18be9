//go:build !unix

package embedded

import (
	"os/exec"
	"syscall"
)

// setProcAttr does nothing on systems without process groups.
func setProcAttr(cmd *exec.Cmd) {}

// signalGroup kills the child; other signals are not supported here.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Kill()
}
