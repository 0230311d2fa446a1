# Active content everywhere a student can put it: printed, displayed as HTML, JavaScript and SVG,
# in exception messages and in markdown cells. Any of it running would change the page's title.
# Feedback pages must carry none of it live (nbconvert's SanitizeHTML in the feedback pipeline).
import numpy as np
from IPython.display import HTML, Javascript, display

EXPECTED_REASONS = {"test_softmax": "raised ValueError: <img src=x onerror="}
EXTRA_CELLS = [
    ("markdown", "Notes <svg onload=\"document.title='pwned-md-svg'\"></svg>\n\n"
                 "<script>document.title='pwned-md-script'</script>\n\n"
                 "<img src=x onerror=\"document.title='pwned-md-img'\">\n\n"
                 "[link](javascript:document.title='pwned-md-link') <a href=\"javascript:document.title='pwned-a'\">a</a>\n\n"
                 # math is rendered to MathML on the trusted side (latex2mathml copies these verbatim)
                 "$\\text{<img src=x onerror=\"document.title='pwned-math'\">}$ "
                 "$\\href{javascript:document.title='pwned-math-href'}{x}$"),
    ("code", "raise ValueError('<img src=x onerror=\"document.title=\\'pwned-error\\'\">')"),
]

print('<script>document.title="pwned-stream"</script>')
display(HTML('<img src=x onerror="document.title=\'pwned-html\'"><script>document.title="pwned-html-script"</script>'))
display(Javascript('document.title="pwned-js"'))
display({"image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" onload="document.title=\'pwned-svg\'"></svg>',
         "text/plain": "svg"}, raw=True)


def sigmoid(x):
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    raise ValueError('<img src=x onerror="document.title=\'pwned-report\'">')


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
