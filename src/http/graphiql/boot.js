// Starts GraphiQL on this server's /graphql. A served file rather than an inline script, so that
// the page's Content-Security-Policy can refuse every inline script.
'use strict';
// GraphiQL's dialogs lock the page's scrolling with a <style> element of their own
// (react-remove-scroll-bar), which the CSP allows only with the page's nonce. That library
// looks for the nonce in the global __webpack_nonce__; this script's tag carries it.
window.__webpack_nonce__ = document.currentScript.nonce;
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: '/graphql' }),
    defaultEditorToolsVisibility: true,
  }),
);
