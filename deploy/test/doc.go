// Package deploytest checks the deployment files of deploy/ with the tools
// they are meant for: the Helm chart through Helm itself (lint and the
// rendering of `helm template`), its objects decoded strictly into the
// Kubernetes API types and its pods judged by Kubernetes' own Pod Security
// admission code. It is a module of its own, so Helm and the Kubernetes
// libraries stay out of the server's go.mod; `make test` runs it.
package deploytest
