console.log("floe");
