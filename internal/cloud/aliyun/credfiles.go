package aliyun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// A CredentialFileError is a credentials file or aliyun CLI config that
// cannot be parsed. It names the file and the line at fault, and never holds
// any of the file's content: the parsers' own errors quote the line they
// stopped at, or the whole file, secrets and all.
type CredentialFileError struct {
	What    string // "credentials file" or "aliyun CLI config"
	Path    string
	Line    int    // 1-based; 0 when it could not be told
	Problem string // in words of our own, quoting nothing from the file
}

func (e *CredentialFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s %s, line %d: %s", e.What, e.Path, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s %s: %s", e.What, e.Path, e.Problem)
}

// A credentialFile is a file credentials-go reads, and how to check it.
type credentialFile struct {
	what  string
	path  string
	json  bool // the aliyun CLI config; else an INI file
	check func(data []byte) (line int, problem string)
}

// credentialFiles lists the files credentials-go v1.4 reads, where it reads
// them: the aliyun CLI config (ALIBABA_CLOUD_CONFIG_FILE, else
// ~/.aliyun/config.json, unless ALIBABA_CLOUD_CLI_PROFILE_DISABLED) and the
// shared credentials file (ALIBABA_CLOUD_CREDENTIALS_FILE, else
// ~/.alibabacloud/credentials).
func credentialFiles() []credentialFile {
	home := os.Getenv("HOME")
	if runtime.GOOS == "windows" {
		home = os.Getenv("USERPROFILE")
	}
	inHome := func(env string, rel ...string) string {
		if p := os.Getenv(env); p != "" {
			return p
		}
		if home == "" {
			return ""
		}
		return filepath.Join(append([]string{home}, rel...)...)
	}
	var out []credentialFile
	if !strings.EqualFold(os.Getenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"), "true") {
		out = append(out, credentialFile{"aliyun CLI config", inHome("ALIBABA_CLOUD_CONFIG_FILE", ".aliyun", "config.json"), true, checkCLIConfig})
	}
	out = append(out, credentialFile{"credentials file", inHome("ALIBABA_CLOUD_CREDENTIALS_FILE", ".alibabacloud", "credentials"), false, checkINI})
	return out
}

// checkCredentialFiles returns the problems of the credential files that
// exist, each naming its file and line.
func checkCredentialFiles() []*CredentialFileError {
	var out []*CredentialFileError
	for _, f := range credentialFiles() {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			out = append(out, &CredentialFileError{What: f.what, Path: f.path, Problem: "cannot be read: " + err.Error()})
			continue
		}
		if line, problem := f.check(data); problem != "" {
			out = append(out, &CredentialFileError{What: f.what, Path: f.path, Line: line, Problem: problem})
		}
	}
	return out
}

// maxLocateLines bounds the files whose faulty line is looked for: each
// try parses a prefix of the file again.
const maxLocateLines = 2000

// checkINI parses a credentials file as credentials-go does (go-ini with its
// default options). The line at fault is the one after the longest prefix
// of the file that parses: a value opened with ``` or """ fails where it
// opens, since every prefix from there on leaves it open.
func checkINI(data []byte) (int, string) {
	_, err := ini.Load(data)
	if err == nil {
		return 0, ""
	}
	problem := iniProblem(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxLocateLines {
		return 0, problem
	}
	for j := len(lines) - 1; j >= 0; j-- {
		if _, err := ini.Load(bytes.Join(lines[:j], nil)); err == nil {
			return j + 1, problem
		}
	}
	return 0, problem
}

// iniProblem says what go-ini refused without quoting it: its messages
// carry the line they stopped at.
func iniProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "unclosed section"):
		return "a section header is not closed with ]"
	case strings.HasPrefix(msg, "missing closing key quote from"):
		return "a value opened with a backtick or \"\"\" is never closed"
	case strings.HasPrefix(msg, "missing closing key quote"):
		return "a quoted key is never closed"
	case ini.IsErrDelimiterNotFound(err):
		return "the line is neither key = value, a [section] nor a comment"
	case ini.IsErrEmptyKeyName(err):
		return "the line has no key before its ="
	}
	return "it cannot be parsed as an INI file"
}

// cliConfig has the shape credentials-go v1.4 decodes the aliyun CLI config
// into, so that a value of the wrong type fails here as it fails there.
type cliConfig struct {
	Current  string `json:"current"`
	Profiles []struct {
		Name                   string `json:"name"`
		Mode                   string `json:"mode"`
		AccessKeyID            string `json:"access_key_id"`
		AccessKeySecret        string `json:"access_key_secret"`
		SecurityToken          string `json:"sts_token"`
		RegionID               string `json:"region_id"`
		RoleArn                string `json:"ram_role_arn"`
		RoleSessionName        string `json:"ram_session_name"`
		DurationSeconds        int    `json:"expired_seconds"`
		StsRegion              string `json:"sts_region"`
		EnableVpc              bool   `json:"enable_vpc"`
		SourceProfile          string `json:"source_profile"`
		RoleName               string `json:"ram_role_name"`
		OIDCTokenFile          string `json:"oidc_token_file"`
		OIDCToken              string `json:"oidc_token"`
		OIDCProviderARN        string `json:"oidc_provider_arn"`
		Policy                 string `json:"policy"`
		ExternalID             string `json:"external_id"`
		SignInURL              string `json:"cloud_sso_sign_in_url"`
		AccountID              string `json:"cloud_sso_account_id"`
		AccessConfig           string `json:"cloud_sso_access_config"`
		AccessToken            string `json:"access_token"`
		AccessTokenExpire      int64  `json:"cloud_sso_access_token_expire"`
		OauthSiteType          string `json:"oauth_site_type"`
		OauthRefreshToken      string `json:"oauth_refresh_token"`
		OauthAccessToken       string `json:"oauth_access_token"`
		OauthAccessTokenExpire int64  `json:"oauth_access_token_expire"`
		StsExpire              int64  `json:"sts_expiration"`
		ProcessCommand         string `json:"process_command"`
	} `json:"profiles"`
}

// checkCLIConfig decodes the aliyun CLI config; credentials-go quotes the
// whole file when it cannot.
func checkCLIConfig(data []byte) (int, string) {
	var c cliConfig
	err := json.Unmarshal(data, &c)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &se):
		return lineAt(data, se.Offset), "it is not valid JSON"
	case errors.As(err, &te):
		// Field is a path of JSON names and Type a Go type: neither comes
		// from the value.
		return lineAt(data, te.Offset), fmt.Sprintf("%s must be a %s", te.Field, te.Type)
	}
	return 0, "it cannot be decoded as JSON"
}

// lineAt returns the line of the byte before offset, where a JSON decoder
// stopped.
func lineAt(data []byte, offset int64) int {
	n := min(max(offset-1, 0), int64(len(data)))
	return 1 + bytes.Count(data[:n], []byte("\n"))
}

// secretValues returns the secrets tmsync can know of without asking
// credentials-go: the secret environment variables, the OIDC token and the
// secret values of the credential files. A file that does not parse gives
// all its lines and values, since which of them is secret is unknown.
func secretValues() []string {
	var out []string
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_OIDC_TOKEN"} {
		out = append(out, os.Getenv(k))
	}
	if p := os.Getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE"); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	for _, f := range credentialFiles() {
		data, err := os.ReadFile(f.path)
		if f.path == "" || err != nil {
			continue
		}
		out = append(out, fileSecrets(data, f.json)...)
	}
	return out
}

// secretKey tells the keys whose values are secret, in both file formats.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "password")
}

func fileSecrets(data []byte, isJSON bool) []string {
	var out []string
	if f, err := ini.Load(data); !isJSON && err == nil {
		for _, s := range f.Sections() {
			for _, k := range s.Keys() {
				if secretKey(k.Name()) {
					out = append(out, k.Value())
				}
			}
		}
		return out
	}
	var v any
	if err := json.Unmarshal(data, &v); isJSON && err == nil {
		var walk func(key string, v any)
		walk = func(key string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, e := range v {
					walk(k, e)
				}
			case []any:
				for _, e := range v {
					walk(key, e)
				}
			case string:
				if secretKey(key) {
					out = append(out, v)
				}
			}
		}
		walk("", v)
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		out = append(out, line)
		if _, v, ok := strings.Cut(line, "="); ok {
			out = append(out, strings.TrimSpace(v))
		}
		for _, q := range strings.Split(line, `"`) {
			out = append(out, strings.TrimSpace(q))
		}
	}
	return out
}

// withoutSecrets removes every known secret from msg, as written and as Go
// quotes it.
func withoutSecrets(msg string, secrets []string) string {
	for _, s := range secrets {
		// Shorter values are too common to tell from other text, and no
		// key or token is that short.
		if len(s) < 6 {
			continue
		}
		q := strconv.Quote(s)
		for _, form := range []string{s, q[1 : len(q)-1]} {
			msg = strings.ReplaceAll(msg, form, "[secret]")
		}
	}
	return msg
}
