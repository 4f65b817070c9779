// The pipeline panel's UI lands in the webview issue; the bundle exists so the build chain is whole.
const root = document.getElementById('root');
if (root) root.textContent = 'Pipewright';
