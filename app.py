"""Entry point of the Streamlit app: `streamlit run app.py` (or `make run`)."""

from selfstudy.app.main import run

run()
