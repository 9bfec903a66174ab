package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// maxSkew is how far a request's timestamp may be from the server clock.
const maxSkew = 15 * time.Minute

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signedParams lists the RPC common parameters of the v1 scheme; they are
// not business parameters and do not count in a token's fingerprint.
var commonParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "Timestamp": true, "SignatureNonce": true,
	"SignatureMethod": true, "SignatureVersion": true, "SignatureType": true, "AccessKeyId": true,
	"SecurityToken": true, "Signature": true, "ClientToken": true, "DryRun": true,
}

// pct is the RFC 3986 encoding both signature schemes use.
func pct(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	e = strings.ReplaceAll(e, "%7E", "~")
	return e
}

// authResult is who signed a request.
type authResult struct {
	accessKeyID string
	nonce       string
}

// verify checks an ACS3-HMAC-SHA256 Authorization header, or else a v1
// HMAC-SHA1 Signature parameter.
func verify(keys map[string]string, r *http.Request, body []byte, query, merged map[string]string, now time.Time) (authResult, *apiError) {
	if az := r.Header.Get("Authorization"); az != "" {
		return verifyACS3(keys, r, body, query, az, now)
	}
	if merged["Signature"] != "" {
		return verifyV1(keys, r, merged, now)
	}
	return authResult{}, newErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: no Authorization header and no Signature parameter.")
}

func verifyACS3(keys map[string]string, r *http.Request, body []byte, query map[string]string, az string, now time.Time) (authResult, *apiError) {
	algo, rest, _ := strings.Cut(az, " ")
	if algo != "ACS3-HMAC-SHA256" {
		return authResult{}, newErr(400, "IncompleteSignature", "The signature algorithm %q is not supported; use ACS3-HMAC-SHA256 or the v1 HMAC-SHA1 scheme.", algo)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	ak, signedHeaders, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if ak == "" || signedHeaders == "" || sig == "" {
		return authResult{}, newErr(400, "IncompleteSignature", "The Authorization header needs Credential, SignedHeaders and Signature.")
	}
	secret, ok := keys[ak]
	if !ok {
		return authResult{}, newErr(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	date := r.Header.Get("x-acs-date")
	if err := checkTime(date, now); err != nil {
		return authResult{}, err
	}
	nonce := r.Header.Get("x-acs-signature-nonce")
	if nonce == "" {
		return authResult{}, newErr(400, "IncompleteSignature", "The x-acs-signature-nonce header is mandatory.")
	}
	if err := checkNonce(nonce); err != nil {
		return authResult{}, err
	}
	bodyHash := hexSHA256(body)
	if h := r.Header.Get("x-acs-content-sha256"); h != "" && h != bodyHash {
		return authResult{}, newErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation: x-acs-content-sha256 is not the SHA-256 of the body.")
	}
	names := strings.Split(signedHeaders, ";")
	var ch strings.Builder
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		var v string
		if n == "host" {
			v = r.Host
		} else {
			vals := append([]string(nil), r.Header.Values(n)...)
			for i := range vals {
				vals[i] = strings.TrimSpace(vals[i])
			}
			sort.Strings(vals)
			v = strings.Join(vals, ",")
		}
		ch.WriteString(n + ":" + v + "\n")
	}
	keysSorted := make([]string, 0, len(query))
	for k := range query {
		keysSorted = append(keysSorted, k)
	}
	sort.Strings(keysSorted)
	parts := make([]string, len(keysSorted))
	for i, k := range keysSorted {
		parts[i] = pct(k) + "=" + pct(query[k])
	}
	canonical := r.Method + "\n/\n" + strings.Join(parts, "&") + "\n" + ch.String() + "\n" + signedHeaders + "\n" + bodyHash
	stringToSign := "ACS3-HMAC-SHA256\n" + hexSHA256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return authResult{}, newErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	if err := checkSTS(ak, r.Header.Get("x-acs-security-token")); err != nil {
		return authResult{}, err
	}
	return authResult{accessKeyID: ak, nonce: nonce}, nil
}

func verifyV1(keys map[string]string, r *http.Request, merged map[string]string, now time.Time) (authResult, *apiError) {
	ak := merged["AccessKeyId"]
	if ak == "" {
		return authResult{}, newErr(400, "IncompleteSignature", "The AccessKeyId parameter is mandatory with a Signature.")
	}
	secret, ok := keys[ak]
	if !ok {
		return authResult{}, newErr(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	if m := merged["SignatureMethod"]; m != "" && m != "HMAC-SHA1" {
		return authResult{}, newErr(400, "IncompleteSignature", "The SignatureMethod %q is not supported; use HMAC-SHA1.", m)
	}
	if err := checkTime(merged["Timestamp"], now); err != nil {
		return authResult{}, err
	}
	nonce := merged["SignatureNonce"]
	if nonce == "" {
		return authResult{}, newErr(400, "IncompleteSignature", "The SignatureNonce parameter is mandatory.")
	}
	if err := checkNonce(nonce); err != nil {
		return authResult{}, err
	}
	keysSorted := make([]string, 0, len(merged))
	for k := range merged {
		if k != "Signature" {
			keysSorted = append(keysSorted, k)
		}
	}
	sort.Strings(keysSorted)
	parts := make([]string, len(keysSorted))
	for i, k := range keysSorted {
		parts[i] = pct(k) + "=" + pct(merged[k])
	}
	stringToSign := r.Method + "&" + pct("/") + "&" + pct(strings.Join(parts, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(merged["Signature"])) {
		return authResult{}, newErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign)
	}
	if err := checkSTS(ak, merged["SecurityToken"]); err != nil {
		return authResult{}, err
	}
	return authResult{accessKeyID: ak, nonce: nonce}, nil
}

func checkTime(ts string, now time.Time) *apiError {
	if ts == "" {
		return newErr(400, "InvalidTimeStamp.Format", "The timestamp is mandatory (x-acs-date or Timestamp, UTC, 2006-01-02T15:04:05Z).")
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", ts)
	if err != nil {
		return newErr(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted: %q.", ts)
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return newErr(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired: %s is more than 15 minutes from the server time %s.", ts, now.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return nil
}

// checkSTS refuses a temporary (STS.) key sent without its token; any
// token is accepted, since the emulator cannot check it.
func checkSTS(ak, token string) *apiError {
	if strings.HasPrefix(ak, "STS.") && token == "" {
		return newErr(400, "InvalidSecurityToken.Missing", "The security token of the temporary access key is missing.")
	}
	return nil
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
