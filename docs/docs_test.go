package docs

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// codeBlocks returns the fenced code blocks of a Markdown page whose info
// string is lang, in order.
func codeBlocks(t *testing.T, page, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !in && line == "```"+lang:
			in, cur = true, nil
		case in && line == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// aliyunCommand matches a line that runs the aliyun CLI itself.
var aliyunCommand = regexp.MustCompile(`(^|[\s;&|(])aliyun\s`)

// TestEmulatorRecipesLeaveAliyunConfigAlone: no recipe of emulator.md runs
// aliyun configure, and every aliyun command goes through the throwaway
// configuration. The recipe is run with a fake aliyun that records the HOME
// and the arguments it was given: the configuration it is pointed at is a
// file of its own, and the real HOME gets nothing.
func TestEmulatorRecipesLeaveAliyunConfigAlone(t *testing.T) {
	blocks := codeBlocks(t, "emulator.md", "sh")
	var recipe string
	for _, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			if strings.Contains(line, "aliyun configure") {
				t.Errorf("emulator.md runs aliyun configure, which writes ~/.aliyun: %q", line)
			}
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if aliyunCommand.MatchString(line) && !(strings.Contains(line, `HOME="$emu_home"`) && strings.Contains(line, "--config-path")) {
				t.Errorf("emulator.md runs aliyun without the throwaway configuration: %q", line)
			}
		}
		if strings.Contains(b, "emu_aliyun()") {
			recipe = b
		}
	}
	if recipe == "" {
		t.Fatal("emulator.md has no recipe defining emu_aliyun")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	dir := t.TempDir()
	bin, home, log := filepath.Join(dir, "bin"), filepath.Join(dir, "home"), filepath.Join(dir, "aliyun.log")
	for _, d := range []string{bin, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fakes := map[string]string{
		"aliyun": "#!/bin/sh\n{ echo \"HOME=$HOME\"; for a in \"$@\"; do echo \"ARG=$a\"; done; } >> " + log + "\n",
		"tmsync": "#!/bin/sh\nexit 0\n",
	}
	for name, script := range fakes {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "-e", "-c", recipe+"wait\n")
	cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + dir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the recipe fails: %v\n%s", err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("the recipe ran no aliyun command: %v", err)
	}
	calls := strings.Split(strings.TrimSpace(string(b)), "HOME=")[1:]
	if len(calls) != 2 {
		t.Fatalf("the recipe ran aliyun %d times, want 2:\n%s", len(calls), b)
	}
	for _, call := range calls {
		lines := strings.Split(strings.TrimSpace(call), "\n")
		if lines[0] == home || !strings.HasPrefix(lines[0], dir) {
			t.Errorf("aliyun ran with HOME=%s, want a temporary directory, not the user's %s", lines[0], home)
		}
		config := ""
		for i, l := range lines {
			if l == "ARG=--config-path" && i+1 < len(lines) {
				config = strings.TrimPrefix(lines[i+1], "ARG=")
			}
		}
		var cfg struct {
			Current  string `json:"current"`
			Profiles []struct {
				Name, Mode      string
				AccessKeyID     string `json:"access_key_id"`
				AccessKeySecret string `json:"access_key_secret"`
				RegionID        string `json:"region_id"`
			} `json:"profiles"`
		}
		cb, err := os.ReadFile(config)
		if err != nil {
			t.Fatalf("aliyun was not given a configuration of its own (--config-path %q): %v", config, err)
		}
		if err := json.Unmarshal(cb, &cfg); err != nil {
			t.Fatalf("the throwaway configuration is not JSON: %v\n%s", err, cb)
		}
		if len(cfg.Profiles) != 1 || cfg.Current != "emu" || cfg.Profiles[0].Name != "emu" || cfg.Profiles[0].Mode != "AK" ||
			cfg.Profiles[0].AccessKeyID != "test" || cfg.Profiles[0].AccessKeySecret != "test-secret" || cfg.Profiles[0].RegionID == "" {
			t.Errorf("the throwaway configuration is not one AK profile emu with the emulator's key:\n%s", cb)
		}
	}
	entries, err := os.ReadDir(home)
	if err != nil || len(entries) > 0 {
		t.Errorf("the recipe wrote to the user's HOME: %v %v", entries, err)
	}
}

// placeholder is a part of a quoted message that changes from run to run.
var placeholder = regexp.MustCompile(`<[^<>]*>`)

// TestTroubleshootingQuotesTmsync: every message troubleshooting.md quotes
// (its text blocks) is made of text that tmsync's sources print: each
// literal piece between placeholders (and between ": ", "; " and
// " (request", where messages are joined) of 15 characters or more is in a
// Go file of internal/ (the emulator's included: it answers with the API's
// messages) or of credentials-go, whose messages tmsync passes on.
func TestTroubleshootingQuotesTmsync(t *testing.T) {
	dirs := []string{filepath.Join("..", "internal")}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aliyun/credentials-go").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	} else {
		t.Logf("credentials-go's sources not found (%v): its messages are not checked", err)
	}
	var corpus strings.Builder
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			corpus.Write(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// String literals joined with + across lines read as one.
	src := regexp.MustCompile(`"\s*\+\s*"`).ReplaceAllString(corpus.String(), "")
	blocks := codeBlocks(t, "troubleshooting.md", "text")
	if len(blocks) < 10 {
		t.Fatalf("troubleshooting.md quotes %d messages, want the messages of every section", len(blocks))
	}
	checked := 0
	for _, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			for _, piece := range placeholder.Split(line, -1) {
				for _, frag := range regexp.MustCompile(`: |; | \(request`).Split(piece, -1) {
					frag = strings.TrimSpace(frag)
					if len(frag) < 15 {
						continue
					}
					checked++
					if !strings.Contains(src, frag) {
						t.Errorf("troubleshooting.md quotes %q, which no source of tmsync prints (in %q)", frag, line)
					}
				}
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d pieces of quoted messages checked", checked)
	}
}
