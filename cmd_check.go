package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/config"
)

// runCheck loads the configuration as the server would, calls whoami and
// says whether the key works. It never prints the key.
func runCheck(ctx context.Context, e env, cfg config.Config) int {
	a, err := newApp(e, cfg)
	if errors.Is(err, errNoKey) {
		fmt.Fprintf(e.stderr, "not ok: %v\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "not ok: %v\n", err)
		return 1
	}
	defer a.Close()
	id, err := a.client.Whoami(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "not ok: %s\n", explainCheck(err, a.client.BaseURL()))
		return 1
	}
	fmt.Fprintf(e.stdout, "ok: agent %s (tenant %s) at %s\n", id.Fields.AgentID, id.Fields.TenantID, a.client.BaseURL())
	return 0
}

// explainCheck says what a failed whoami means and how to fix it.
func explainCheck(err error, url string) string {
	var (
		apiErr  *apiclient.APIError
		netErr  *apiclient.NetworkError
		timeout *apiclient.TimeoutError
		decErr  *apiclient.DecodeError
		certErr *tls.CertificateVerificationError
		unkAuth x509.UnknownAuthorityError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden):
		return fmt.Sprintf("the API at %s rejected the key (%s). Set %s (or --api-key-file) to the agent's API key from the Alfe dashboard.",
			url, apiclient.StatusText(apiErr.StatusCode), config.EnvAPIKey)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound:
		return fmt.Sprintf("%s has no agent API (%v). Check --api-url / %s; the default is %s.", url, apiErr, config.EnvAPIURL, apiclient.DefaultBaseURL)
	case errors.As(err, &apiErr):
		return fmt.Sprintf("the API at %s responded with an error: %v. Retry later; if it persists, check the Alfe status page.", url, apiErr)
	case errors.As(err, &certErr), errors.As(err, &unkAuth), errors.As(err, &recErr):
		return fmt.Sprintf("TLS failure talking to %s: %v. Check that --api-url is right (https for api.alfe.ai, http for a local server) and that no proxy intercepts TLS.", url, err)
	case errors.As(err, &timeout):
		return fmt.Sprintf("the API at %s did not respond within %s. Check the network, or raise --timeout.", url, timeout.After)
	case errors.As(err, &netErr):
		return fmt.Sprintf("cannot reach the API at %s: %v. Check the network and --api-url / %s.", url, netErr.Err, config.EnvAPIURL)
	case errors.As(err, &decErr):
		return fmt.Sprintf("unexpected response from %s: %v. Is --api-url pointing at the Alfe API?", url, decErr)
	default:
		return err.Error()
	}
}
