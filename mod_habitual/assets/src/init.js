// mod_habitual: start GOV.UK Frontend's components on the page.
//
// Load at the end of <body> as an ES module (GOV.UK Frontend 6's JavaScript is
// an ES module; browsers that cannot run modules skip this and keep the
// no-JavaScript page, which works fully):
//   <script type="module" src="<mount>/assets/init.js"></script>
// Module scripts are fetched in CORS mode: same origin is fine under
// script-src 'self'. From file:// Chromium refuses them (origin "null").
import { initAll } from './govuk-frontend.min.js'

// supported.js normally did this already, before first paint.
document.body.classList.add('js-enabled', 'govuk-frontend-supported')

initAll()
