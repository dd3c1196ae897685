// mod_habitual: GOV.UK Frontend's "is JavaScript on and supported" snippet as a
// file, because the Content-Security-Policy refuses inline scripts.
//
// Load as the first thing inside <body>, as a classic (blocking) script, so the
// classes are there before first paint and nothing flickers:
//   <body class="govuk-template__body">
//   <script src="<mount>/assets/supported.js"></script>
// Components check for govuk-frontend-supported before they start (initAll).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
