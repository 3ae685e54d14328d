import type { OpenAPIV3 } from 'openapi-types';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * A self-contained HTML reference generated from the OpenAPI document: every operation with its
 * parameters, body and responses. No script and no CDN, so it works air-gapped and cannot leak.
 */
export function renderDocsPage(doc: OpenAPIV3.Document): string {
  const sections: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const params = (op.parameters ?? []) as OpenAPIV3.ParameterObject[];
      const body = (op.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content[
        'application/json'
      ]?.schema;
      sections.push(`<section id="${escape(op.operationId ?? `${method}-${path}`)}">
<h3><code class="m ${method}">${method.toUpperCase()}</code> <code>${escape(path)}</code></h3>
${op.summary ? `<p><b>${escape(op.summary)}</b></p>` : ''}${op.description ? `<p>${escape(op.description)}</p>` : ''}
${
  params.length
    ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params
        .map(
          (p) =>
            `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td><code>${escape(JSON.stringify(p.schema))}</code></td></tr>`,
        )
        .join('')}</table>`
    : ''
}
${body ? `<details><summary>request body</summary><pre>${escape(JSON.stringify(body, null, 2))}</pre></details>` : ''}
<p>responses: ${Object.keys(op.responses)
        .map((code) => `<code>${escape(code)}</code>`)
        .join(' ')}</p>
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
section{border-top:1px solid #ddd;padding:.5rem 0}code{font-size:13px}.m{font-weight:bold}
.get{color:#07a}.post{color:#080}.put,.patch{color:#a60}.delete{color:#b00}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style></head>
<body><h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description ?? '')}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>. Machine-readable:
<a href="openapi.json">openapi.json</a>.</p>
${sections.join('\n')}
</body></html>`;
}
