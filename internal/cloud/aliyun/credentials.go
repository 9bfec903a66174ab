package aliyun

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aliyun/credentials-go/credentials"
	"github.com/aliyun/credentials-go/credentials/providers"
)

// ErrNoCredentials is the cause of a CredentialsError when no source of
// credentials yielded any.
var ErrNoCredentials = errors.New("no Alibaba Cloud credentials found")

// A CredentialsError reports that credentials could not be resolved. Its
// Hint says what to do about it; its text never holds a secret.
type CredentialsError struct {
	Profile string // the profile asked for, "" for the default chain
	Err     error
}

func (e *CredentialsError) Error() string {
	if e.Profile != "" {
		return fmt.Sprintf("credentials profile %q: %v", e.Profile, e.Err)
	}
	return e.Err.Error()
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Hint tells the user how to provide credentials.
func (e *CredentialsError) Hint() string {
	var fes fileErrors
	if errors.As(e.Err, &fes) {
		var where []string
		for _, err := range fes {
			if fe, ok := err.(*CredentialFileError); ok && fe.Line > 0 {
				where = append(where, fmt.Sprintf("line %d of %s", fe.Line, fe.Path))
			} else if ok {
				where = append(where, fe.Path)
			}
		}
		return fmt.Sprintf("fix %s, or move the file away; the content of credential files is never shown, since they hold secrets",
			strings.Join(where, " and "))
	}
	if e.Profile != "" {
		return fmt.Sprintf("create the profile with `aliyun configure --profile %s` (or in "+
			"~/.alibabacloud/credentials), pick another with --profile, or drop --profile and "+
			"set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET", e.Profile)
	}
	return "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, name a profile " +
		"with --profile (or `profile:` in the spec), or try tmsync without an account with " +
		"--endpoint local"
}

// StaticCredential returns a fixed access key pair as a credential, for
// tests and for the in-process emulator. Callers outside this package use it
// so that they need not import credentials-go.
func StaticCredential(accessKeyID, accessKeySecret string) (credentials.Credential, error) {
	return credentials.NewCredential(&credentials.Config{
		Type:            ptr("access_key"),
		AccessKeyId:     ptr(accessKeyID),
		AccessKeySecret: ptr(accessKeySecret),
	})
}

// resolveCredential picks the credential source of contract C2 (an explicit
// credential, else the named profile, else the default chain) and fetches
// the credentials once, so that a missing or broken source fails now, with a
// hint, instead of on the first API call.
func resolveCredential(explicit credentials.Credential, profile string) (credentials.Credential, error) {
	var (
		cred credentials.Credential
		err  error
	)
	switch {
	case explicit != nil:
		cred = explicit
	case profile != "":
		cred = credentials.FromCredentialsProvider("profile", &profileProvider{name: profile})
	default:
		if cred, err = credentials.NewCredential(nil); err != nil {
			return nil, credentialsFailure("", err)
		}
	}
	m, err := cred.GetCredential()
	if err == nil && (m == nil || deref(m.AccessKeyId) == "" && deref(m.BearerToken) == "") {
		err = errors.New("the credential source returned no access key")
	}
	if err != nil {
		return nil, credentialsFailure(profile, err)
	}
	return &lockedCredential{c: cred}, nil
}

// credentialsFailure reports that credentials-go found no credentials. A
// credential file that does not parse is the likely cause, and its parser's
// error quotes it: such files are reported by name and line instead, and
// credentials-go's text is left out. Otherwise its text is kept, without
// secrets.
func credentialsFailure(profile string, err error) *CredentialsError {
	if fes := checkCredentialFiles(); len(fes) > 0 {
		var errs []error
		for _, fe := range fes {
			errs = append(errs, fe)
		}
		return &CredentialsError{Profile: profile, Err: fmt.Errorf("%w: %w", ErrNoCredentials, fileErrors(errs))}
	}
	return &CredentialsError{Profile: profile, Err: fmt.Errorf("%w: %s", ErrNoCredentials, redact(err))}
}

// fileErrors joins the errors of credential files on one line, each still
// found by errors.As.
type fileErrors []error

func (es fileErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

func (es fileErrors) Unwrap() []error { return es }

// leaky matches the parts of credentials-go errors that quote a config
// file: a malformed ~/.aliyun/config.json is quoted whole, secrets and all,
// and go-ini quotes the line it could not parse. Everything after such a
// quote is dropped.
var leaky = regexp.MustCompile(`(?s)(unmarshal aliyun cli config from '[^']*' failed|delimiter not found|unclosed section)\b.*`)

// redact returns the text of a credentials error without quoted file
// contents and without any secret tmsync knows of (the environment's, the
// OIDC token, the credential files' values), so that no secret reaches an
// error message or a log whatever credentials-go or an STS answer put in it.
func redact(err error) string {
	msg := leaky.ReplaceAllString(err.Error(), "$1 (contents not shown)")
	return withoutSecrets(msg, secretValues())
}

// A profileProvider reads a named profile from the aliyun CLI's config
// (~/.aliyun/config.json), else from the shared credentials file
// (~/.alibabacloud/credentials): users have one or the other.
type profileProvider struct {
	name string

	mu   sync.Mutex
	used providers.CredentialsProvider
}

func (p *profileProvider) GetCredentials() (*providers.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used != nil {
		return p.used.GetCredentials()
	}
	var errs []string
	cli, err := providers.NewCLIProfileCredentialsProviderBuilder().WithProfileName(p.name).Build()
	if err == nil {
		var c *providers.Credentials
		if c, err = cli.GetCredentials(); err == nil {
			p.used = cli
			return c, nil
		}
	}
	errs = append(errs, "aliyun CLI config: "+err.Error())
	ini, err := providers.NewProfileCredentialsProviderBuilder().WithProfileName(p.name).Build()
	if err == nil {
		var c *providers.Credentials
		if c, err = ini.GetCredentials(); err == nil {
			p.used = ini
			return c, nil
		}
	}
	errs = append(errs, "credentials file: "+err.Error())
	return nil, errors.New(strings.Join(errs, "; "))
}

func (p *profileProvider) GetProviderName() string { return "profile" }

// A lockedCredential serialises a credential's methods: the SDK asks for
// credentials on every request, parallel steps make requests concurrently,
// and the credentials-go providers cache and refresh without locks.
type lockedCredential struct {
	mu sync.Mutex
	c  credentials.Credential
}

func (l *lockedCredential) GetAccessKeyId() (*string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.GetAccessKeyId() //nolint:staticcheck // required by the interface
}

func (l *lockedCredential) GetAccessKeySecret() (*string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.GetAccessKeySecret() //nolint:staticcheck // required by the interface
}

func (l *lockedCredential) GetSecurityToken() (*string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.GetSecurityToken() //nolint:staticcheck // required by the interface
}

func (l *lockedCredential) GetBearerToken() *string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.GetBearerToken()
}

func (l *lockedCredential) GetType() *string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.GetType()
}

func (l *lockedCredential) GetCredential() (*credentials.CredentialModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.c.GetCredential()
	if err != nil {
		// Marked so that classify can tell it from a refused request.
		return nil, &credentialFetchError{Err: err}
	}
	return m, nil
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
