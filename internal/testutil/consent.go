package testutil

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Decide posts a person's decision ("approve" or "deny") on the sandbox's
// consent page at consentURL, as the page's form does, from a goroutine
// other than the test's (a client's elicitation handler): it returns its
// failure rather than failing the test.
func Decide(ctx context.Context, consentURL, decision string) error {
	u, err := url.Parse(consentURL)
	if err != nil {
		return err
	}
	form := url.Values{"state": {u.Query().Get("state")}, "decision": {decision}}
	u.Path, u.RawQuery = "/sandbox/oauth/decision", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the sandbox refused the decision: %s", resp.Status)
	}
	return nil
}
