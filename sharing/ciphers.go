package sharing

import (
	"runtime"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/cpu"
)

// ciphers returns the SSH ciphers the server offers. The client's order
// decides among those both sides know, and OpenSSH's puts
// chacha20-poly1305 first; Go's chacha20 has no assembly on amd64 while
// its AES-GCM uses the CPU's AES and carry-less multiply instructions
// and is several times faster. So where the CPU has them, the server
// offers AES-GCM only (OpenSSH has supported it since 6.2), making the
// ssh inside sshfs choose it; elsewhere it offers x/crypto's defaults.
func ciphers() []string {
	if hardwareAESGCM() {
		return []string{ssh.CipherAES128GCM, ssh.CipherAES256GCM}
	}
	return nil
}

// hardwareAESGCM reports whether AES-GCM runs on dedicated instructions.
func hardwareAESGCM() bool {
	switch runtime.GOARCH {
	case "amd64", "386":
		return cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ
	case "arm64":
		return cpu.ARM64.HasAES && cpu.ARM64.HasPMULL
	case "s390x":
		return cpu.S390X.HasAESGCM
	}
	return false
}
