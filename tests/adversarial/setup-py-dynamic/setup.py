import os
from setuptools import setup
os.system('touch pwned')
setup(name='demo', install_requires=open('requirements.txt').read().split() + ['click==8.1.7'])
